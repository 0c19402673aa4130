/* SPDX-License-Identifier: MIT */
/*
 * Trap entry (C side in kernel/arch/trap.c). One stub per vector, each in a
 * TRAP_STUB_SIZE slot at trap_stubs + vector * TRAP_STUB_SIZE, pushes a
 * zero where the CPU pushes no error code, then the vector, and jumps to
 * trap_common, which completes a struct trap_frame (kernel/arch/trap.h):
 *
 *	ss rsp rflags cs rip	pushed by the CPU (stack 16-byte aligned)
 *	error_code vector	pushed by the stub
 *	rax .. r15		pushed here; rsp then points at the frame
 *
 * Below the frame it links a frame record {rbp, rip} of the interrupted
 * code, so a backtrace from inside a handler continues into it, and calls
 * trap_dispatch(frame). Handlers may change the frame; it is restored
 * from memory and iretq returns through it. Ring 0 only: no swapgs.
 */
#include "kernel/arch/trap.h"

/* Vectors for which the CPU pushes an error code (Intel SDM vol. 3A,
 * table 6-1): #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
#define HAS_ERROR_CODE(v)                                                \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
	 (v) == 29 || (v) == 30)

	.macro TRAP_STUB vec
1:
	.if HAS_ERROR_CODE(\vec) == 0
	pushq $0
	.endif
	pushq $(\vec)
	jmp trap_common
	/* Pad with int3; .org fails to assemble if a stub outgrew its slot. */
	.org 1b + TRAP_STUB_SIZE, 0xcc
	.endm

	.text
	.p2align 4
	.globl trap_stubs
trap_stubs:
	.irp hi, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.irp lo, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	TRAP_STUB \hi*16+\lo
	.endr
	.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi			/* trap_dispatch(frame) */

	/* Frame record {rbp, rip} of the interrupted code; two pushes keep
	 * rsp 16-byte aligned for the call (the frame is 176 bytes). */
	pushq TRAP_FRAME_RIP(%rdi)
	pushq TRAP_FRAME_RBP(%rdi)
	movq %rsp, %rbp
	cld				/* the C ABI expects DF clear */
	call trap_dispatch
	addq $16, %rsp			/* drop the frame record */

	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector and error code */
	iretq

/* SPDX-License-Identifier: MIT */
/*
 * Kernel thread stack switch (used by kernel/sched/thread.c).
 *
 * void thread_switch(void **save_sp, void *next_sp)
 *   Pushes the SysV callee-saved registers on the current stack, stores
 *   the stack pointer in *save_sp, loads next_sp and pops the same frame
 *   from it. Caller-saved registers are the C caller's business; there
 *   is no FPU/SSE state (the kernel is built -mgeneral-regs-only).
 *   The frame, from next_sp upwards: r15 r14 r13 r12 rbx rbp rip.
 *
 * thread_trampoline: the rip of a new thread's first frame. thread.c
 * puts the struct thread pointer in the frame's r12 and 0 in its rbp, so
 * backtraces stop at thread_start.
 */
	.text
	.globl thread_switch
	.type thread_switch, @function
thread_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size thread_switch, . - thread_switch

	.globl thread_trampoline
	.type thread_trampoline, @function
thread_trampoline:
	movq %r12, %rdi
	call thread_start		/* never returns */
	ud2
	.size thread_trampoline, . - thread_trampoline

	.section .note.GNU-stack, "", @progbits

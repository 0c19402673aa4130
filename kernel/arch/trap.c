// SPDX-License-Identifier: MIT
/*
 * IDT and trap dispatch (interface in trap.h, entry in trap_entry.S).
 * Vectors 0-31 are CPU exceptions and are all fatal: the report names the
 * exception, decodes the error code, dumps the registers and a backtrace
 * of the interrupted code, and ends the VM with QEMU_EXIT_FAILURE. Only
 * this fatal path prints; vectors 32-255 run their handler or, without
 * one, are counted as spurious in silence (they may be IRQs).
 *
 * Locking: the handler table is [q]: trap_set_handler() writes an entry
 * under irq_save(), dispatch reads it with interrupts off (every gate is
 * an interrupt gate). The IDT and the table are shared by all CPUs and
 * only written at boot, before the APs start.
 */
#define PR_PREFIX "trap: "
#include "kernel/arch/trap.h"

#include <stddef.h>

#include "kernel/arch/gdt.h"
#include "kernel/arch/pic.h"
#include "kernel/core/backtrace.h"
#include "kernel/core/console.h"
#include "kernel/core/ksyms.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/core/qemu_exit.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"

STATIC_ASSERT(offsetof(struct trap_frame, rbp) == TRAP_FRAME_RBP);
STATIC_ASSERT(offsetof(struct trap_frame, rip) == TRAP_FRAME_RIP);
STATIC_ASSERT(offsetof(struct trap_frame, vector) == 15 * 8);
STATIC_ASSERT(offsetof(struct trap_frame, ss) == TRAP_FRAME_SIZE - 8);
STATIC_ASSERT(sizeof(struct trap_frame) == TRAP_FRAME_SIZE);
/* The CPU aligns rsp to 16 before pushing; the entry code relies on the
 * frame keeping that alignment. */
STATIC_ASSERT(TRAP_FRAME_SIZE % 16 == 0);

/* Exception vectors (Intel SDM vol. 3A, table 6-1) that get special
 * treatment here. */
#define VEC_NMI 2
#define VEC_DOUBLE_FAULT 8
#define VEC_INVALID_TSS 10
#define VEC_SEGMENT_NOT_PRESENT 11
#define VEC_STACK_FAULT 12
#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14
#define VEC_MACHINE_CHECK 18

/* Selector error code (#TS, #NP, #SS, #GP). */
#define SEL_EXTERNAL (1u << 0)
#define SEL_IDT (1u << 1)
#define SEL_LDT (1u << 2)
#define SEL_INDEX_SHIFT 3
#define SEL_INDEX_MASK 0x1FFFu

/* Interrupt gate descriptor (Intel SDM vol. 3A, 6.14.1). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist; /* bits 2:0 */
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __packed;
STATIC_ASSERT(sizeof(struct idt_gate) == 16);

#define GATE_INTERRUPT64 0x0E
#define GATE_PRESENT 0x80

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

struct trap_handler {
	trap_handler_fn fn; /* [q] NULL: none */
	void *arg; /* [q] */
};

static const struct {
	const char *mnemonic;
	const char *name;
} exceptions[TRAP_FIRST_IRQ] = {
	[0] = { "DE", "divide error" },
	[1] = { "DB", "debug exception" },
	[2] = { "NMI", "non-maskable interrupt" },
	[3] = { "BP", "breakpoint" },
	[4] = { "OF", "overflow" },
	[5] = { "BR", "bound range exceeded" },
	[6] = { "UD", "invalid opcode" },
	[7] = { "NM", "device not available" },
	[8] = { "DF", "double fault" },
	[9] = { "CSO", "coprocessor segment overrun" },
	[10] = { "TS", "invalid TSS" },
	[11] = { "NP", "segment not present" },
	[12] = { "SS", "stack-segment fault" },
	[13] = { "GP", "general protection fault" },
	[14] = { "PF", "page fault" },
	[16] = { "MF", "x87 floating-point error" },
	[17] = { "AC", "alignment check" },
	[18] = { "MC", "machine check" },
	[19] = { "XM", "SIMD floating-point exception" },
	[20] = { "VE", "virtualization exception" },
	[21] = { "CP", "control protection exception" },
	[28] = { "HV", "hypervisor injection exception" },
	[29] = { "VC", "VMM communication exception" },
	[30] = { "SX", "security exception" },
};

extern const char trap_stubs[];

static struct idt_gate idt[TRAP_VECTORS] __aligned(16);
static struct trap_handler handlers[TRAP_VECTORS];
static uint64_t spurious; /* atomic add */

static void set_gate(unsigned vector, unsigned ist)
{
	uint64_t target = (uint64_t)(uintptr_t)trap_stubs +
			  (uint64_t)vector * TRAP_STUB_SIZE;
	struct idt_gate *g = &idt[vector];

	g->offset_low = (uint16_t)target;
	g->selector = GDT_KERNEL_CODE;
	g->ist = (uint8_t)ist;
	g->type_attr = GATE_PRESENT | GATE_INTERRUPT64;
	g->offset_mid = (uint16_t)(target >> 16);
	g->offset_high = (uint32_t)(target >> 32);
	g->reserved = 0;
}

/*
 * Load the GDT/TSS and the IDT and silence the legacy PIC. The firmware
 * leaves the PIC delivering the PIT on vector 8, which would arrive as a
 * "double fault" at the first sti; pic_disable() moves it to 0x20-0x2F
 * and masks it. Must run with interrupts off, before the first sti.
 */
void trap_init(void)
{
	static int done;
	struct idt_ptr ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	BUG_ON(done++);
	gdt_init();
	for (unsigned v = 0; v < TRAP_VECTORS; v++)
		set_gate(v, 0);
	set_gate(VEC_NMI, IST_NMI);
	set_gate(VEC_DOUBLE_FAULT, IST_DOUBLE_FAULT);
	set_gate(VEC_MACHINE_CHECK, IST_MACHINE_CHECK);
	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
	pic_disable();
}

void trap_init_ap(unsigned cpu, uint8_t *ist_stacks)
{
	struct idt_ptr ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	gdt_init_cpu(cpu, ist_stacks);
	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

/* Install or (fn == NULL) remove the handler of an IRQ vector. */
void trap_set_handler(uint8_t vector, trap_handler_fn fn, void *arg)
{
	uint64_t flags;

	ASSERT(vector >= TRAP_FIRST_IRQ);
	flags = irq_save();
	handlers[vector].fn = fn;
	handlers[vector].arg = arg;
	irq_restore(flags);
}

/* Number of interrupts that found no handler. */
uint64_t trap_spurious_count(void)
{
	return READ_ONCE(spurious);
}

/* Page-fault error code in words: what was accessed, how, and why. */
static void report_page_fault(uint64_t err)
{
	const char *access = (err & TRAP_PF_IFETCH) ? "instruction fetch" :
			     (err & TRAP_PF_WRITE)  ? "write" :
						      "read";

	pr_err("page fault: %s of %#llx by %s code: %s%s", access,
	       (unsigned long long)read_cr2(),
	       (err & TRAP_PF_USER) ? "user" : "kernel",
	       (err & TRAP_PF_PRESENT) ? "protection violation" :
					 "page not present",
	       (err & TRAP_PF_RESERVED) ? ", reserved bit set in a page table" :
					  "");
	pr_err("page fault: error code present=%d write=%d user=%d "
	       "reserved=%d ifetch=%d",
	       !!(err & TRAP_PF_PRESENT), !!(err & TRAP_PF_WRITE),
	       !!(err & TRAP_PF_USER), !!(err & TRAP_PF_RESERVED),
	       !!(err & TRAP_PF_IFETCH));
}

/* Selector error code: which descriptor table entry was at fault. */
static void report_selector(uint64_t err)
{
	unsigned index = (unsigned)(err >> SEL_INDEX_SHIFT) & SEL_INDEX_MASK;
	const char *ext = (err & SEL_EXTERNAL) ? ", during an external event" :
						 "";

	if (err == 0)
		pr_err("selector: none (error code 0)");
	else if (err & SEL_IDT)
		pr_err("selector: IDT vector %u%s", index, ext);
	else
		pr_err("selector: %s index %u (selector %#x)%s",
		       (err & SEL_LDT) ? "LDT" : "GDT", index,
		       (unsigned)(err & ~(uint64_t)SEL_EXTERNAL), ext);
}

static void report_registers(const struct trap_frame *tf)
{
	uint64_t off;
	const char *sym = ksyms_lookup(tf->rip, &off);

	printk(LOG_ERR, "RIP=%016llx %s+0x%llx\n", (unsigned long long)tf->rip,
	       sym ? sym : "?", sym ? (unsigned long long)off : 0ull);
	printk(LOG_ERR, "RSP=%016llx RFLAGS=%016llx CS=%04llx SS=%04llx\n",
	       (unsigned long long)tf->rsp, (unsigned long long)tf->rflags,
	       (unsigned long long)tf->cs, (unsigned long long)tf->ss);
	printk(LOG_ERR, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n",
	       (unsigned long long)tf->rax, (unsigned long long)tf->rbx,
	       (unsigned long long)tf->rcx, (unsigned long long)tf->rdx);
	printk(LOG_ERR, "RSI=%016llx RDI=%016llx RBP=%016llx R8 =%016llx\n",
	       (unsigned long long)tf->rsi, (unsigned long long)tf->rdi,
	       (unsigned long long)tf->rbp, (unsigned long long)tf->r8);
	printk(LOG_ERR, "R9 =%016llx R10=%016llx R11=%016llx R12=%016llx\n",
	       (unsigned long long)tf->r9, (unsigned long long)tf->r10,
	       (unsigned long long)tf->r11, (unsigned long long)tf->r12);
	printk(LOG_ERR, "R13=%016llx R14=%016llx R15=%016llx\n",
	       (unsigned long long)tf->r13, (unsigned long long)tf->r14,
	       (unsigned long long)tf->r15);
	printk(LOG_ERR, "CR2=%016llx CR3=%016llx\n",
	       (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
}

/*
 * The fatal path: describe the exception and stop the VM. A fault while
 * reporting (a broken console, a wild frame pointer the checks missed)
 * must not recurse, so the second one exits at once.
 */
static void __noreturn report_exception(const struct trap_frame *tf)
{
	static const char nested_msg[] = "trap: fault while reporting a "
					 "fault; exiting\n";
	static int nested;
	unsigned v = (unsigned)tf->vector;
	const char *mn = exceptions[v].mnemonic;

	if (nested++) {
		console_write(nested_msg, sizeof(nested_msg) - 1);
		qemu_exit(QEMU_EXIT_FAILURE);
	}
	printk_panic_mode(); /* the fault may have hit inside printk */
	pr_err("%s (#%s, vector %u), error code %#llx",
	       mn ? exceptions[v].name : "reserved exception", mn ? mn : "?", v,
	       (unsigned long long)tf->error_code);
	if (v == VEC_PAGE_FAULT)
		report_page_fault(tf->error_code);
	else if (v == VEC_GENERAL_PROTECTION || v == VEC_INVALID_TSS ||
		 v == VEC_SEGMENT_NOT_PRESENT || v == VEC_STACK_FAULT)
		report_selector(tf->error_code);
	report_registers(tf);
	backtrace_print(tf->rip, tf->rbp);
	qemu_exit(QEMU_EXIT_FAILURE);
}

static trap_fault_fn fault_hook; /* [I] set once at boot */

void trap_set_fault_hook(trap_fault_fn fn)
{
	fault_hook = fn;
}

/* Called by trap_entry.S with interrupts off, for every vector. */
void trap_dispatch(struct trap_frame *tf);
void trap_dispatch(struct trap_frame *tf)
{
	struct trap_handler *h;

	if (tf->vector == VEC_PAGE_FAULT && fault_hook &&
	    fault_hook(read_cr2(), tf->error_code))
		return; /* resolved: the access runs again */
	if (tf->vector < TRAP_FIRST_IRQ)
		report_exception(tf);
	h = &handlers[tf->vector & (TRAP_VECTORS - 1)];
	percpu_irq_enter(); /* the lock checker's "in a handler" */
	if (h->fn)
		h->fn(tf, h->arg);
	else
		__atomic_add_fetch(&spurious, 1, __ATOMIC_RELAXED);
	percpu_irq_exit();
}

# Execution: cooperative threads, timers, IRQ dispatch, the main loop,
# completions, lazy asynchronous I/O (LAIO).
KERNEL_SRCS += \
	kernel/sched/completion.c \
	kernel/sched/handover.c \
	kernel/sched/irq.c \
	kernel/sched/laio.c \
	kernel/sched/mainloop.c \
	kernel/sched/profile.c \
	kernel/sched/thread.c \
	kernel/sched/timer.c \
	kernel/sched/timer_selftest.c

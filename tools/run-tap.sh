#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the kernel on a tap device inside a private network namespace
# (host side 10.77.0.1/24, guest 10.77.0.2), serial console on stdio.
# Reach it from another terminal with:
#   ip netns exec petrel-run curl http://10.77.0.2/
# The namespace is deleted when QEMU exits (Ctrl-A x) or on Ctrl-C.
#   [SMP=N] [QUEUES=N] tools/run-tap.sh KERNEL SITE_IMAGE [extra kernel options]
# QUEUES=N (make run-tap QUEUES=N): a multiqueue tap and N virtio-net
# queue pairs (net_queues=N is passed to the kernel).
set -eu
kernel=${1:?usage: run-tap.sh KERNEL SITE_IMAGE [options]}
image=${2:?usage: run-tap.sh KERNEL SITE_IMAGE [options]}
shift 2
ns=petrel-run
tap=ptap0
qemu=${QEMU:-qemu-system-x86_64}
mem=${QEMU_MEM:-128M}
queues=${QUEUES:-1}
case $queues in
''|*[!0-9]*|0) echo "run-tap.sh: QUEUES=$queues is not a count" >&2; exit 1 ;;
esac
netdev="tap,id=n0,ifname=$tap,script=no,downscript=no"
device="virtio-net-pci,netdev=n0,disable-legacy=on"
mq=
qopt=
if [ "$queues" -gt 1 ]; then
	netdev="$netdev,queues=$queues,vhost=off"
	device="$device,mq=on,vectors=$((2 * queues + 2))"
	mq=multi_queue
	qopt="net_queues=$queues"
fi
smp=${SMP:-1}
cpus=
if [ "$smp" != 1 ]; then
	# vCPUs in parallel host threads (MTTCG)
	cpus="-smp $smp -accel tcg,thread=multi"
fi

cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
cleanup
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev "$tap" mode tap $mq
ip -n "$ns" addr add 10.77.0.1/24 dev "$tap"
ip -n "$ns" link set "$tap" up
echo "petrel: http://10.77.0.2/ inside namespace $ns:"
echo "  ip netns exec $ns curl http://10.77.0.2/"
ip netns exec "$ns" "$qemu" -machine q35 -cpu max -m "$mem" -display none \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	$cpus -serial stdio \
	-netdev "$netdev" -device "$device" \
	-drive "if=none,id=site,format=raw,readonly=on,file=$image" \
	-device virtio-blk-pci,drive=site,disable-legacy=on \
	-kernel "$kernel" -append "ip=10.77.0.2/24 gw=10.77.0.1 $qopt $*"

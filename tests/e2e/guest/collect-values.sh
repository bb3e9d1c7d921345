#!/bin/sh
# collect-values.sh [--inputs] [--hashes]: prints "<column> <value>" for every value the module
# manages, as this kernel holds it now, named as in docs/ARCHITECTURE.md (tunable names;
# multi-value tunables split as name_0 name_1 name_2). With --inputs, also the formula inputs;
# with --hashes, the boot hash-table sizes from dmesg. nf_conntrack is loaded if needed.
inputs=0
hashes=0
for a in "$@"; do
	case "$a" in
	--inputs) inputs=1 ;;
	--hashes) hashes=1 ;;
	esac
done

modprobe nf_conntrack 2>/dev/null

get() { cat "/proc/sys/$2" 2>/dev/null | awk -v c="$1" '{ print c, $1 }'; }
get3()
{
	cat "/proc/sys/$2" 2>/dev/null |
		awk -v c="$1" '{ print c "_0", $1; print c "_1", $2; print c "_2", $3 }'
}

get min_free_kbytes vm/min_free_kbytes
get admin_reserve_kbytes vm/admin_reserve_kbytes
get user_reserve_kbytes vm/user_reserve_kbytes
get threads_max kernel/threads-max
get file_max fs/file-max
get inotify_max_user_watches fs/inotify/max_user_watches
get epoll_max_user_watches fs/epoll/max_user_watches
get3 tcp_mem net/ipv4/tcp_mem
awk '{ print "tcp_rmem_max", $3 }' /proc/sys/net/ipv4/tcp_rmem
awk '{ print "tcp_wmem_max", $3 }' /proc/sys/net/ipv4/tcp_wmem
get3 udp_mem net/ipv4/udp_mem
get tcp_max_orphans net/ipv4/tcp_max_orphans
get tcp_max_tw_buckets net/ipv4/tcp_max_tw_buckets
get tcp_max_syn_backlog net/ipv4/tcp_max_syn_backlog
for ns in user pid uts ipc net mnt cgroup time; do
	get "max_${ns}_namespaces" "user/max_${ns}_namespaces"
done
get nf_conntrack_buckets net/netfilter/nf_conntrack_buckets
get nf_conntrack_max net/netfilter/nf_conntrack_max

if [ $inputs = 1 ]; then
	awk '/^MemTotal:/ { print "mem_total_kb", $2; print "totalram_pages", $2 / 4 }' /proc/meminfo
	# nr_free_buffer_pages(): sum over zones up to Normal of max(0, managed - high watermark);
	# populated zones up to Normal (khugepaged's nr_zones). mm/page_alloc.c, mm/khugepaged.c.
	awk '
		/^Node [0-9]+, zone/ { zone = $4 }
		$1 == "high" && NF == 2 { high[zone] += $2 }
		$1 == "present" { present[zone] += $2 }
		$1 == "managed" { managed[zone] += $2 }
		END {
			split("DMA DMA32 Normal", low, " ")
			for (i = 1; i <= 3; i++) {
				z = low[i]
				d = managed[z] - high[z]
				if (d > 0) nfb += d
				if (present[z] > 0) pop++
				printf "managed_%s %d\n", tolower(z), managed[z]
			}
			print "nr_free_buffer_pages", nfb
			print "populated_zones", pop
		}' /proc/zoneinfo
	# Xen PV hides PSE, so a PV guest has no THP (and khugepaged never raises min_free_kbytes).
	thp=/sys/kernel/mm/transparent_hugepage/enabled
	if [ -r $thp ]; then
		sed -n 's/.*\[\(.*\)\].*/thp_enabled \1/p' $thp
	else
		echo "thp_enabled unavailable"
	fi
	d=/sys/devices/system/xen_memory/xen_memory0
	echo "balloon_target_kb $(cat $d/target_kb)"
	echo "balloon_current_kb $(cat $d/info/current_kb)"
fi

if [ $hashes = 1 ]; then
	# "Dentry cache hash table entries: 65536 (order: ...)" -> hash_dentry_cache 65536
	dmesg | sed -n 's/^\[[^]]*\] *//; s/^\(.*\) hash table entries: \([0-9]*\).*/\1 \2/p' |
		awk '{ v = $NF; $NF = ""; n = tolower($0); gsub(/[^a-z0-9]+/, "_", n);
		       sub(/_$/, "", n); print "hash_" n, v }'
fi

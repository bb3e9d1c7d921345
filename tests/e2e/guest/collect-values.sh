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
get nf_conntrack_expect_max net/netfilter/nf_conntrack_expect_max
get fanotify_max_user_marks fs/fanotify/max_user_marks
get inet_peer_threshold net/ipv4/inet_peer_threshold

# What the kernel derives from each zone's managed pages (mm/page_alloc.c:
# __setup_per_zone_wmarks(), setup_per_zone_lowmem_reserve(), zone_pcp_update()):
# wmark_{min,low,high}_<zone>, lowmem_reserve_<zone> (the largest protection entry) and
# pcp_{high,batch}_<zone> (CPU 0's pageset), pages, for the populated zones up to Normal.
awk '
	/^Node [0-9]+, zone/ { zone = tolower($4); cpu = -1; next }
	zone == "" { next }
	$1 == "present" { present[zone] = $2 }
	$1 == "min" && NF == 2 { wmin[zone] = $2 }
	$1 == "low" && NF == 2 { wlow[zone] = $2 }
	$1 == "high" && NF == 2 { whigh[zone] = $2 }
	$1 == "protection:" {
		gsub(/[(),]/, " "); m = 0
		for (i = 2; i <= NF; i++) if ($i + 0 > m) m = $i + 0
		reserve[zone] = m
	}
	$1 == "cpu:" { cpu = $2 }
	cpu == 0 && $1 == "high:" { pcph[zone] = $2 }
	cpu == 0 && $1 == "batch:" { pcpb[zone] = $2 }
	END {
		split("dma dma32 normal", zs, " ")
		for (i = 1; i <= 3; i++) {
			z = zs[i]
			if (!(present[z] > 0)) continue
			print "wmark_min_" z, wmin[z]; print "wmark_low_" z, wlow[z]
			print "wmark_high_" z, whigh[z]; print "lowmem_reserve_" z, reserve[z]
			print "pcp_high_" z, pcph[z]; print "pcp_batch_" z, pcpb[z]
		}
	}' /proc/zoneinfo

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

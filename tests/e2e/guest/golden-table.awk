# golden-table.awk: "<mib> <column> <value>" lines (the GOLD cells) in, the golden table's
# header line and one tab-separated row per size out, columns in their first-seen order,
# "-" where a size has no value. Used by tests/e2e/golden.sh on the host and, in Dom0, by the
# golden scenario (for scenarios run in the same boot: GOLDEN_ALSO).
{
	if (!($2 in seen)) { seen[$2] = 1; cols[++nc] = $2 }
	if (!($1 in sz)) { sz[$1] = 1; sizes[++ns] = $1 }
	v[$1, $2] = $3
}
END {
	line = "mib"
	for (c = 1; c <= nc; c++) line = line "\t" cols[c]
	print line
	for (s = 1; s <= ns; s++) {
		line = sizes[s]
		for (c = 1; c <= nc; c++)
			line = line "\t" ((sizes[s], cols[c]) in v ? v[sizes[s], cols[c]] : "-")
		print line
	}
}

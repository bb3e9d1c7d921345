#!/bin/sh
# golden-pivot.sh: reads "<mib> <column> <value>" lines on stdin, prints the golden table body:
# a header line "mib<TAB>col..." (columns in first-seen order), then one row per size; "-" for
# a cell no line gave. Used by tests/e2e/golden.sh on the host and by the golden scenario in Dom0.
awk '
	{ if (!($2 in seen)) { seen[$2] = 1; cols[++nc] = $2 }
	  if (!($1 in sz)) { sz[$1] = 1; sizes[++ns] = $1 }
	  v[$1, $2] = $3 }
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
	}'

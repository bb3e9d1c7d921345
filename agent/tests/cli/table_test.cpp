// memtunectl's table layout: what `memtunectl domains` and `memtunectl tunables` print.
#include <gtest/gtest.h>

#include "cli/table.hpp"

namespace memtune::cli {
namespace {

TEST(Table, LeftColumnsPadToTheWidestCellWithoutTrailingBlanks)
{
	const std::string expected = "TUNABLE          VALUE  OWNER\n"
				     "file_max         9000   module\n"
				     "min_free_kbytes  67584  admin\n";
	EXPECT_EQ(format_table({{"TUNABLE"}, {"VALUE"}, {"OWNER"}},
			       {{"file_max", "9000", "module"},
				{"min_free_kbytes", "67584", "admin"}}),
		  expected);
}

TEST(Table, RightColumnsLineUpTheirDigits)
{
	const std::string expected = "NAME     ID   TARGET\n"
				     "guest1    5  1.0 GiB\n"
				     "db      123  512 MiB\n";
	EXPECT_EQ(format_table({{"NAME"}, {"ID", Align::right}, {"TARGET", Align::right}},
			       {{"guest1", "5", "1.0 GiB"}, {"db", "123", "512 MiB"}}),
		  expected);
}

TEST(Table, HeaderWiderThanEveryCell)
{
	EXPECT_EQ(format_table({{"A"}, {"UPDATE", Align::right}}, {{"x", "7"}}),
		  "A  UPDATE\n"
		  "x       7\n");
}

TEST(Table, NoRowsIsTheHeaderAlone)
{
	EXPECT_EQ(format_table({{"TUNABLE"}, {"VALUE"}}, {}), "TUNABLE  VALUE\n");
}

TEST(Table, ShortRowsGetEmptyCellsAndExtraCellsAreDropped)
{
	EXPECT_EQ(format_table({{"A"}, {"B"}, {"C", Align::right}}, {{"1"}, {"2", "3", "4", "5"}}),
		  "A  B  C\n"
		  "1\n"
		  "2  3  4\n");
}

TEST(Table, EmptyLeftCellInTheMiddleKeepsTheColumns)
{
	EXPECT_EQ(format_table({{"A"}, {"B"}, {"C"}}, {{"1", "", "3"}}),
		  "A  B  C\n"
		  "1     3\n");
}

} // namespace
} // namespace memtune::cli

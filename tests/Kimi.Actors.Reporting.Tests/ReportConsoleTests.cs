namespace Kimi.Actors.Reporting.Tests;

public sealed class ReportConsoleTests
{
    [Fact]
    public void A_plain_table_is_markdown_without_escapes()
    {
        var text = new StringWriter();
        var console = ReportConsole.For(text);
        var table = console.NewTable("slice", "prompts", "accuracy");
        table.AddTextRow("difficulty 1", "70", "0.643");
        table.AddTextRow("[all]", "210", "0.500");
        console.Write(table);

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain('\u001b', text.ToString());
        Assert.Equal(4, lines.Length);
        Assert.Equal(["slice", "prompts", "accuracy"], Cells(lines[0]));
        Assert.Matches(@"^\|\s*:-+\s*\|\s*-+:\s*\|\s*-+:\s*\|$", lines[1]);   // labels left-aligned, numbers right-aligned
        Assert.Equal(["difficulty 1", "70", "0.643"], Cells(lines[2]));
        Assert.Equal(["[all]", "210", "0.500"], Cells(lines[3]));   // cell text is not read as markup
    }

    private static string[] Cells(string line) => line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
}

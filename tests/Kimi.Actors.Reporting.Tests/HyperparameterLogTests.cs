namespace Kimi.Actors.Reporting.Tests;

/// <summary>How hyperparameters appear in metrics.jsonl (typed JSON values) and in TensorBoard's Text tab (what changed).</summary>
public sealed class HyperparameterLogTests
{
    [Fact]
    public void Values_are_typed_as_JSON_reads_them()
    {
        Assert.Equal(0.5, HyperparameterLog.Typed("0.5"));
        Assert.Equal(2e-5, HyperparameterLog.Typed("2E-05"));
        Assert.Equal(true, HyperparameterLog.Typed("true"));
        Assert.Equal("prioritized", HyperparameterLog.Typed("prioritized"));
        // Not a finite number, and not a list of numbers: kept as text.
        Assert.Equal("NaN", HyperparameterLog.Typed("NaN"));
        Assert.Equal("2:5,3:10", HyperparameterLog.Typed("2:5,3:10"));
    }

    [Fact]
    public void The_text_lists_everything_first_then_only_what_changed()
    {
        var first = new Dictionary<string, string> { ["tau"] = "1", ["learning-rate"] = "3E-05" };
        var all = HyperparameterLog.Markdown(first, null, 0)!;
        Assert.Contains("In force from iteration 0", all);
        Assert.Contains("| tau | 1 |", all);
        Assert.Contains("| learning-rate | 3E-05 |", all);

        Assert.Null(HyperparameterLog.Markdown(first, first, 1));

        var changed = HyperparameterLog.Markdown(new Dictionary<string, string> { ["tau"] = "0.5", ["learning-rate"] = "3E-05" }, first, 7)!;
        Assert.Contains("Changed from iteration 7", changed);
        Assert.Contains("| tau | 1 | 0.5 |", changed);
        Assert.DoesNotContain("learning-rate", changed);
    }
}

using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Host.Tests;

public sealed class ConfigLoaderTests
{
    [Theory]
    [InlineData("a { b = [1, 2], c { d = \"}\" } }")]
    [InlineData("a = \"x\\\"{\"  # {\nb = 1 // [")]
    [InlineData("a = \"\"\"{ [ \"quoted\" \n ]\"\"\"\nb { }")]
    [InlineData("a = \"\"\"ends with a quote\"\"\"\"\nb = {}")]
    [InlineData("a = ${?HOME}\nb = [{ c = 1 }]")]
    public void Balanced_text_passes(string text) => Assert.Null(KimiConfigLoader.UnbalancedBracket(text));

    [Theory]
    [InlineData("a {\n  b {\n    c = 1\n  }\n", "line 1: '{' is never closed")]
    [InlineData("a = 1\nb = [1,\n 2\n", "line 2: '[' is never closed")]
    [InlineData("a { b = [1 }\n", "line 1: unexpected '}'")]
    [InlineData("a = 1\n}\n", "line 2: unexpected '}'")]
    [InlineData("a = \"\"\"never\n closed\n", "line 1: a \"\"\" string is never closed")]
    [InlineData("a = 1\nb = \"open\nc = 2", "line 2: a quoted string is never closed")]
    public void Unbalanced_text_is_located(string text, string expected) => Assert.Equal(expected, KimiConfigLoader.UnbalancedBracket(text));

    [Fact]
    public void Every_shipped_layer_and_preset_loads()
    {
        foreach (var preset in KimiConfigLoader.Presets.Prepend(null))
        {
            var config = KimiConfigLoader.Load(preset, [], [], Commands.TrainCommand.NodeLayers);
            Assert.Equal("cluster", config.GetString("kimi.run.engine"));
        }
        Assert.Contains("smoke", KimiConfigLoader.Presets);
    }

    [Fact]
    public void The_long_cot_preset_leaves_room_for_the_longest_countdown_search_and_binds_its_long2short_settings()
    {
        var config = KimiConfigLoader.Load("long-cot", [], [], Commands.TrainCommand.NodeLayers);
        var run = RunOptionsBinder.Bind(config);
        // A countdown demonstration runs to MaxResponseChars characters (one token each) plus the end token; a cap below
        // that cuts the longest searches before their answer (the default's 96 cuts a third of the level-3 ones).
        int longest = new Kimi.Actors.Tasks.CountdownTask().MaxResponseChars + 1;
        Assert.True(run.Rollout.MaxResponseTokens >= longest, $"rollout cap {run.Rollout.MaxResponseTokens} < {longest}");
        Assert.True(run.Eval.MaxResponseTokens >= longest, $"eval cap {run.Eval.MaxResponseTokens} < {longest}");
        Assert.Equal(["countdown"], run.Tasks.Families);
        Assert.Equal(0, run.LengthPenalty.Weight);

        var l2s = Long2ShortOptionsBinder.Bind(config, run.Model);
        Assert.InRange(l2s.Rl.MaxResponseTokens, longest / 2, run.Rollout.MaxResponseTokens - 1);
        Assert.Equal(1.5, l2s.Sampling.ShortestRsTemperature);
        Assert.Equal(1.0, l2s.Sampling.Temperature);
        Assert.Equal(0.375, l2s.Merge.ShortWeight);
    }

    [Theory]
    [InlineData("rollout.temperature=0.7", "kimi.rollout.temperature", "0.7")]
    [InlineData("kimi.rollout.temperature = 0.7", "kimi.rollout.temperature", "0.7")]
    [InlineData("akka.loglevel=INFO", "akka.loglevel", "INFO")]
    [InlineData("kimi.persistence.sqlite-file=/tmp/a=b.db", "kimi.persistence.sqlite-file", "/tmp/a=b.db")]
    public void An_override_splits_into_its_full_key_and_value(string setting, string key, string value) =>
        Assert.Equal((key, value), KimiConfigLoader.SplitOverride(setting));

    [Fact]
    public void Later_layers_win_and_paths_survive_quoting()
    {
        var config = KimiConfigLoader.Load("smoke", [], ["kimi.run.iterations=7", "kimi.persistence.sqlite-file=/tmp/x y/k.db"], Commands.TrainCommand.NodeLayers);
        Assert.Equal(7, config.GetInt("kimi.run.iterations"));                   // --set over the preset's 40
        Assert.Equal(128, config.GetInt("kimi.sft.pack-length"));                // the preset over kimi.conf's 256
        Assert.Equal("/tmp/x y/k.db", config.GetString("kimi.persistence.sqlite-file"));
    }
}

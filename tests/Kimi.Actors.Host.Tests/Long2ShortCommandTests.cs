using System.Text.Json;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// A tiny "long" policy made once with the local engine (<see cref="TinyRun"/> with more warm-up SFT so that it answers
/// some prompts right), the start of every <c>kimi long2short</c> test below.
/// </summary>
public sealed class TinyLongPolicy : IDisposable
{
    public TempFolder Tmp { get; } = new();
    public string Config { get; }
    public string Checkpoint => Path.Combine(Tmp.File("long"), "checkpoints", "final");
    public CliResult Trained { get; }

    /// <summary>Small long2short settings so that each method takes seconds.</summary>
    public static readonly string[] Small =
    [
        "--set", "long2short.prompts=64", "--set", "long2short.samples-per-prompt=8",
        "--set", "long2short.shortest-rs.steps=4", "--set", "long2short.shortest-rs.sequences-per-step=8", "--set", "long2short.shortest-rs.pack-length=64",
        "--set", "long2short.dpo.steps=4", "--set", "long2short.dpo.pairs-per-step=4",
        "--set", "long2short.rl.iterations=2", "--set", "long2short.rl.max-response-tokens=16",
    ];

    public TinyLongPolicy()
    {
        Config = TinyRun.WriteConfig(Tmp.Path);
        Trained = CliRunner.Run(["train", "--config", Config, "--out", Tmp.File("long"), "--iterations", "0",
            "--set", "run.engine=local", "--set", "sft.steps=250", "--set", "sft.learning-rate=3e-3", .. CliRunner.StorageIn(Tmp.Path)]);
    }

    public void Dispose() => Tmp.Dispose();
}

public sealed class Long2ShortCommandTests(TinyLongPolicy policy) : IClassFixture<TinyLongPolicy>
{
    private CliResult Long2Short(string method, string outDir, params string[] extra) =>
        CliRunner.Run(["long2short", "--method", method, "--checkpoint", policy.Checkpoint, "--out", outDir, "--config", policy.Config,
            .. TinyLongPolicy.Small, .. extra]);

    private static JsonElement Summary(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement.Clone();

    [Theory]
    [InlineData("shortest-rs")]
    [InlineData("dpo")]
    [InlineData("rl")]
    public void Each_method_writes_before_and_after_on_the_test_set_and_its_settings(string method)
    {
        Assert.True(policy.Trained.ExitCode == 0, policy.Trained.ToString());
        var dir = policy.Tmp.File("l2s-" + method);
        // shortest-rs samples at its own temperature; dpo keeps long2short.temperature.
        var result = Long2Short(method, dir, "--set", "long2short.shortest-rs.temperature=1.5");
        Assert.True(result.ExitCode == 0, result.ToString());

        var s = Summary(dir);
        Assert.Equal(method, s.GetProperty("method").GetString());
        Assert.Equal(3 * TinyRun.HeldOutPerLevel, s.GetProperty("test_count").GetInt32());
        foreach (var side in new[] { "before", "after" })
        {
            var e = s.GetProperty(side);
            Assert.InRange(e.GetProperty("accuracy").GetDouble(), 0, 1);
            Assert.InRange(e.GetProperty("mean_tokens").GetDouble(), 1, TinyRun.MaxResponseTokens);
            Assert.InRange(e.GetProperty("greedy_accuracy").GetDouble(), 0, 1);
        }
        double before = s.GetProperty("before").GetProperty("mean_tokens").GetDouble(), after = s.GetProperty("after").GetProperty("mean_tokens").GetDouble();
        // token_change is rounded to 6 decimals: compare within that, not by rounding both sides.
        Assert.InRange(s.GetProperty("token_change").GetDouble() - (after / before - 1), -2e-6, 2e-6);
        Assert.Equal(TinyRun.MaxResponseTokens, s.GetProperty("eval_max_response_tokens").GetInt32());
        var settings = s.GetProperty("settings");
        switch (method)
        {
            case "shortest-rs":
                Assert.Equal(64, settings.GetProperty("prompts").GetInt32());
                Assert.Equal(8, settings.GetProperty("samples_per_prompt").GetInt32());
                Assert.Equal(1.5, settings.GetProperty("temperature").GetDouble());
                Assert.True(settings.GetProperty("targets").GetInt32() > 0);
                // A target is the shortest correct of its prompt's samples, so no longer than their mean.
                Assert.True(settings.GetProperty("mean_target_tokens").GetDouble() <= settings.GetProperty("mean_correct_tokens").GetDouble() + 1e-9,
                    settings.GetRawText());
                break;
            case "dpo":
                Assert.Equal(0.1, settings.GetProperty("beta").GetDouble());
                Assert.Equal(1.0, settings.GetProperty("temperature").GetDouble());
                Assert.Equal(1.5, settings.GetProperty("length_ratio").GetDouble());
                Assert.True(settings.GetProperty("pairs").GetInt32() > 0);
                break;
            case "rl":
                Assert.Equal(16, settings.GetProperty("max_response_tokens").GetInt32());
                Assert.Equal(TinyRun.MaxResponseTokens, settings.GetProperty("long_max_response_tokens").GetInt32());
                Assert.Equal(1.0, settings.GetProperty("length_penalty_weight").GetDouble());
                break;
        }
        Assert.True(File.Exists(Path.Combine(dir, "checkpoint", "model.safetensors")));
        Assert.Contains("mean response tokens", result.Stdout);
    }

    [Fact]
    public void Shortest_rs_rounds_sample_afresh_from_the_policy_each_round_and_the_first_round_is_the_single_pass()
    {
        Assert.True(policy.Trained.ExitCode == 0, policy.Trained.ToString());
        string one = policy.Tmp.File("srs-1round"), two = policy.Tmp.File("srs-2rounds");
        var single = Long2Short("shortest-rs", one, "--set", "long2short.shortest-rs.temperature=1.5");
        var twice = Long2Short("shortest-rs", two, "--set", "long2short.shortest-rs.temperature=1.5", "--set", "long2short.shortest-rs.rounds=2");
        Assert.True(single.ExitCode == 0, single.ToString());
        Assert.True(twice.ExitCode == 0, twice.ToString());
        Assert.Contains("shortest-rs round 2/2", twice.Stderr);

        JsonElement s1 = Summary(one).GetProperty("settings"), s2 = Summary(two).GetProperty("settings");
        Assert.Equal(1, s1.GetProperty("rounds").GetInt32());
        Assert.Equal(2, s2.GetProperty("rounds").GetInt32());
        var rounds = s2.GetProperty("per_round").EnumerateArray().ToList();
        Assert.Equal(2, rounds.Count);
        // Round 1 is the single pass: the same prompts, samples and targets.
        Assert.Equal(s1.GetProperty("per_round")[0].GetRawText(), rounds[0].GetRawText());
        // Round 2 samples other prompts from the fine-tuned policy, so its samples are not round 1's.
        Assert.NotEqual(rounds[0].GetProperty("mean_sampled_tokens").GetDouble(), rounds[1].GetProperty("mean_sampled_tokens").GetDouble());
        foreach (var r in rounds)
        {
            Assert.Equal(64, r.GetProperty("prompts").GetInt32());
            Assert.True(r.GetProperty("targets").GetInt32() > 0);
            Assert.True(r.GetProperty("mean_target_tokens").GetDouble() <= r.GetProperty("mean_correct_tokens").GetDouble() + 1e-9, r.GetRawText());
        }
        // The second round starts from the first round's policy, so the two runs end with different policies.
        Assert.NotEqual(Summary(one).GetProperty("after").GetRawText(), Summary(two).GetProperty("after").GetRawText());
    }

    [Theory]
    [InlineData("shortest-rs", "long2short.shortest-rs.steps=0")]
    [InlineData("dpo", "long2short.dpo.steps=0")]
    public void A_method_with_no_steps_leaves_the_policy_as_it_was_and_reports_no_loss(string method, string noSteps)
    {
        Assert.True(policy.Trained.ExitCode == 0, policy.Trained.ToString());
        var dir = policy.Tmp.File("nosteps-" + method);
        var result = Long2Short(method, dir, "--set", noSteps);
        Assert.True(result.ExitCode == 0, result.ToString());
        var s = Summary(dir);
        Assert.Equal(s.GetProperty("before").GetRawText(), s.GetProperty("after").GetRawText());
        // JSON has no NaN: an untrained method's loss is null, not a serializer failure.
        Assert.Equal(JsonValueKind.Null, s.GetProperty("settings").GetProperty("final_loss").ValueKind);
    }

    [Fact]
    public void Shortest_rs_rounds_below_one_are_refused_naming_the_key()
    {
        var refused = Long2Short("shortest-rs", policy.Tmp.File("srs-0"), "--set", "long2short.shortest-rs.rounds=0");
        CliAssert.UserError(refused, "long2short.shortest-rs.rounds");
    }

    [Fact]
    public void Merging_with_itself_changes_nothing_and_a_policy_of_another_shape_is_refused_naming_the_tensor()
    {
        Assert.True(policy.Trained.ExitCode == 0, policy.Trained.ToString());
        // The average of a policy with itself is that policy: before and after are the same numbers.
        var dir = policy.Tmp.File("merge-self");
        var result = Long2Short("merge", dir, "--short", policy.Checkpoint);
        Assert.True(result.ExitCode == 0, result.ToString());
        var s = Summary(dir);
        Assert.Equal(s.GetProperty("before").GetRawText(), s.GetProperty("after").GetRawText());
        Assert.Equal(0.5, s.GetProperty("settings").GetProperty("short_weight").GetDouble());
        Assert.Equal(policy.Checkpoint, s.GetProperty("checkpoint_short").GetString());

        // A short policy of another architecture: a wider MLP.
        var other = policy.Tmp.File("wide");
        var trained = CliRunner.Run(["train", "--config", policy.Config, "--out", other, "--iterations", "0", "--set", "run.engine=local",
            "--set", "sft.steps=1", "--set", "model.intermediate-size=96", .. CliRunner.StorageIn(policy.Tmp.Path)]);
        Assert.True(trained.ExitCode == 0, trained.ToString());
        var refused = Long2Short("merge", policy.Tmp.File("merge-wide"), "--short", Path.Combine(other, "checkpoints", "final"));
        CliAssert.UserError(refused, "mlp.down_proj.weight", "not the same architecture");
    }

    [Fact]
    public void Merge_needs_a_short_policy_and_no_other_method_takes_one()
    {
        CliAssert.UserError(Long2Short("merge", policy.Tmp.File("x")), "--method merge needs --short");
        CliAssert.UserError(Long2Short("dpo", policy.Tmp.File("y"), "--short", policy.Checkpoint), "--short applies to --method merge only");
        CliAssert.UserError(Long2Short("distil", policy.Tmp.File("z")), "--method", "merge, shortest-rs, dpo, rl");
    }
}

using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;
using static Kimi.Actors.Cluster.Protocol.JudgeProtocol;

namespace Kimi.Actors.Cluster.Tests.Judge;

/// <summary>RewardJudge: per-domain verdicts with reasons, a node-wide concurrency limit, and failing or stuck judges scoring 0 while the entity serves on.</summary>
public sealed class RewardJudgeTests() : TestKit("akka.loglevel = WARNING")
{
    private static int _ids;

    private static Trajectory Response(string text)
    {
        var tokens = CharTokenizer.Instance.Encode(text).Append(CharTokenizer.Eos).ToArray();
        return new Trajectory(new TrajectoryId(new PromptId($"p-{Interlocked.Increment(ref _ids)}"), 1, 0), tokens, new float[tokens.Length], StopReason.Stop, []);
    }

    private static PromptRecord Prompt(string domain, string answer) => new("p", "q", answer, domain, 1, []);

    [Fact]
    public async Task The_gate_never_runs_more_judgements_than_its_slots()
    {
        var gate = new JudgeGate(2);
        int running = 0, peak = 0;
        async Task<JudgedTrajectory> Slow(Trajectory t, PromptRecord p, ITokenizer tok, CancellationToken ct)
        {
            int now = Interlocked.Increment(ref running);
            lock (gate) peak = Math.Max(peak, now);
            await Task.Delay(150, ct);
            Interlocked.Decrement(ref running);
            return new JudgedTrajectory(t, 1, true, "ok");
        }
        var verdicts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            gate.Judge(Response("#1"), Prompt("math", "1"), CharTokenizer.Instance, TimeSpan.FromSeconds(10), Slow)));
        Assert.All(verdicts, v => Assert.True(v.Correct));
        Assert.Equal(2, peak);
        Assert.Equal(0, gate.Running);
    }

    [Fact]
    public async Task A_stuck_or_throwing_judge_scores_zero_with_its_cause_and_the_gate_serves_on()
    {
        var gate = new JudgeGate(1);
        var stuck = await gate.Judge(Response("#1"), Prompt("math", "1"), CharTokenizer.Instance, TimeSpan.FromMilliseconds(200),
            (t, p, k, ct) => Task.Delay(Timeout.Infinite, CancellationToken.None).ContinueWith(_ => new JudgedTrajectory(t, 1, true, "ok")));
        Assert.Equal((0.0, false, "judge timed out after 0.2 s"), (stuck.Reward, stuck.Correct, stuck.Reason));
        var thrown = await gate.Judge(Response("#1"), Prompt("math", "1"), CharTokenizer.Instance, TimeSpan.FromSeconds(5),
            (t, p, k, ct) => throw new InvalidOperationException("injected"));
        Assert.Equal((0.0, "judge failed: InvalidOperationException: injected"), (thrown.Reward, thrown.Reason));
        // The only slot was freed both times: a real judgement still runs.
        var ok = await gate.Judge(Response("so \\boxed{1/2}"), Prompt("math", "0.5"), CharTokenizer.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal((1.0, true, "ok"), (ok.Reward, ok.Correct, ok.Reason));
    }

    [Fact]
    public void The_entity_judges_each_domain_with_its_verifier_and_a_hostile_program_costs_only_its_own_reward()
    {
        var settings = JudgeSettings.FromConfig(ConfigurationFactory.ParseString("kimi.judges { concurrency = 2, timeout = 60s, sandbox { wall-time = 30s, cpu-seconds = 1 } }"));
        var judge = Sys.ActorOf(RewardJudgeActor.Props("0", settings, new JudgeGate(settings.Concurrency), settings.CreateVerifiers()));
        var code = new CodeTask().Generate(new Random(3), 1, "c1");
        var items = new[]
        {
            new JudgeItem(Response("3,8,10,17#17"), PromptSpec.From(Prompt("arithmetic", "17"))),
            new JudgeItem(Response("#1/2"), PromptSpec.From(Prompt("math", "0.5"))),
            new JudgeItem(Response("f(1)=2#" + code.Answer), PromptSpec.From(code)),
            new JudgeItem(Response("#while True: pass"), PromptSpec.From(code)),
            new JudgeItem(Response("#print(1"), PromptSpec.From(code)),
        };
        judge.Tell(new JudgeTrajectories(new JudgeSlot(0), RunId.Parse("run-j"), new RequestId(1, 1), items, TokenizerSpec.Char));
        var reply = ExpectMsg<TrajectoriesJudged>(TimeSpan.FromSeconds(60));
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 0.0, 0.0 }, reply.Judged.Select(j => j.Reward));
        Assert.StartsWith("cpu time limit (1 s) on test 1", reply.Judged[3].Reason);
        Assert.StartsWith("runtime error on test 1", reply.Judged[4].Reason);
        Assert.All(reply.Judged, j => Assert.False(string.IsNullOrWhiteSpace(j.Reason)));

        // Still serving: the next batch is judged as usual.
        judge.Tell(new JudgeTrajectories(new JudgeSlot(0), RunId.Parse("run-j"), new RequestId(1, 2), items[..1], TokenizerSpec.Char));
        Assert.Equal(1.0, ExpectMsg<TrajectoriesJudged>(TimeSpan.FromSeconds(10)).Judged[0].Reward);
    }

    [Fact]
    public void Judge_settings_validate_their_keys()
    {
        var e = Assert.Throws<ArgumentException>(() => JudgeSettings.FromConfig(ConfigurationFactory.ParseString("kimi.judges.sandbox.memory = lots")));
        Assert.StartsWith("kimi.judges.sandbox.memory = lots: expected a size", e.Message);
        e = Assert.Throws<ArgumentException>(() => JudgeSettings.FromConfig(ConfigurationFactory.ParseString("kimi.judges.math.extraction = psychic")));
        Assert.Contains("expected one of auto, boxed, answer-line, marker, last-number", e.Message);
        e = Assert.Throws<ArgumentException>(() => JudgeSettings.FromConfig(ConfigurationFactory.ParseString("kimi.judges.sandbox.languages.rb { runn = [ruby] }")));
        Assert.StartsWith("kimi.judges.sandbox.languages.rb.runn: unknown key", e.Message);
        var s = JudgeSettings.FromConfig(ConfigurationFactory.ParseString("kimi.judges { concurrency = 3, sandbox.languages.rb { run = [ruby, \"{file}\"] } }"));
        Assert.Equal(3, s.Concurrency);
        Assert.Equal(["ruby", "{file}"], s.Sandbox.LanguageFor("x.rb").Run);
        Assert.Equal(256L << 20, s.Sandbox.Limits.MemoryBytes);
        Assert.Equal(["python3", "{file}"], s.Sandbox.LanguageFor("main.py").Run);
    }
}

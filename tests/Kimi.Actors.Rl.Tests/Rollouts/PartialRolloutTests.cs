using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;
using TorchSharp;

namespace Kimi.Actors.Rl.Tests.Rollouts;

/// <summary>
/// Partial rollouts end to end through the local engine (the run machine's iterations: plan → generate under a token
/// budget → judge or keep → complete groups → train), with learning frozen and greedy decoding.
/// </summary>
public class PartialRolloutTests
{
    private static readonly ITokenizer Tokenizer = CharTokenizer.Instance;

    private static List<PromptRecord> Prompts(int n) => Enumerable.Range(0, n)
        .Select(i => new PromptRecord($"p{i}", $"{i + 3}+{2 * i + 1}=", $"{3 * i + 4}", "arithmetic", 1, []))
        .ToList();

    private static RunOptions Options(long? budget) => new()
    {
        RunId = "partial", Model = TinyPolicy.Config,
        Rollout = new RolloutOptions
        {
            PromptsPerIteration = 3, SamplesPerPrompt = 2, Temperature = 0, MaxResponseTokens = 40, TokenBudget = budget,
        },
        Optimization = new PolicyOptimizationOptions { LearningRate = 0, Epochs = 1 },
    };

    /// <summary>Prompt pN's responses stop at 12 + 4N tokens, so groups finish (and train, bumping the version) at different iterations.</summary>
    private static RolloutRequest Capped(RolloutRequest r) => r with { MaxResponseTokens = 12 + 4 * int.Parse(r.PromptId.Value[1..]) };

    /// <summary>Runs iterations in process; returns every trajectory that trained, by id, and each iteration's metrics.</summary>
    private static (Dictionary<TrajectoryId, Trajectory> Trained, IReadOnlyList<IterationMetrics> Metrics) RunIterations(
        Model.Llama.LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, RunOptions options, int iterations)
    {
        var trained = new Dictionary<TrajectoryId, Trajectory>();
        var hooks = new LocalEngineHooks(ShapeRequest: Capped, OnTrain: m =>
        {
            foreach (var s in m.Groups.SelectMany(g => g.Samples)) trained.Add(s.Trajectory.Id, s.Trajectory);
        });
        using var engine = new LocalRunEngine(options, TaskSuite.Of(prompts, [], prompts.Take(1).ToList(), []), Tokenizer, policy, hooks: hooks);
        var metrics = engine.RunIterations(done => done.Count >= iterations);
        return (trained, metrics);
    }

    [Fact]
    public void A_response_resumed_across_budget_cuts_equals_the_same_response_generated_without_a_budget()
    {
        var prompts = Prompts(8);
        using var policy = TinyPolicy.Create(seed: 17);
        var before = policy.parameters().Select(p => p.detach().clone()).ToList();

        // 3 prompts x 2 samples in flight; 12 tokens per iteration = 2 per row: a 40-token response is cut ~20 times, and
        // shorter groups finish (and train) in between.
        var (trained, metrics) = RunIterations(policy, prompts, Options(budget: 12), iterations: 45);

        Assert.Contains(metrics, m => m.CutFraction > 0);
        Assert.Contains(metrics, m => m.Resumed > 0);
        var multiCut = trained.Values.Where(t => t.Segments.Count >= 3).ToList();
        Assert.NotEmpty(multiCut);
        Assert.Contains(multiCut, t => t.Segments.Select(s => s.PolicyVersion).Distinct().Count() >= 2);
        // Learning was frozen: the trainer ran, the weights did not move.
        foreach (var (p, b) in policy.parameters().Zip(before)) Assert.True(p.detach().equal(b).all().item<bool>());

        // The same requests, each generated in one go without a budget.
        var fresh = trained.Values.Select(t => new RolloutRequest(t.Id,
            PromptTokens.Encode(Tokenizer, prompts.Single(p => p.Id == t.PromptId.Value).Prompt))).Select(Capped).ToList();
        var (whole, _) = RolloutWorker.Generate(policy, fresh, IterationState.RolloutSettingsOf(Options(budget: null)), 0, seed: 99);
        foreach (var w in whole)
        {
            var cut = trained[w.Id];
            Assert.Equal(w.ResponseTokens, cut.ResponseTokens);
            Assert.Equal(w.StopReason, cut.StopReason);
            // Segments tile the response in order, each under the same or a newer policy version than the last (an
            // iteration in which no group completed trains nothing and keeps the version).
            Assert.Equal(cut.Length, cut.Segments.Sum(s => s.Length));
            Assert.Equal(Enumerable.Range(0, cut.Segments.Count).Select(i => cut.Segments.Take(i).Sum(s => s.Length)), cut.Segments.Select(s => s.Start));
            Assert.True(cut.Segments.Zip(cut.Segments.Skip(1)).All(p => p.First.PolicyVersion <= p.Second.PolicyVersion));
        }
        foreach (var p in before) p.Dispose();
    }

    [Fact]
    public void Without_a_budget_every_response_finishes_in_its_own_iteration()
    {
        var prompts = Prompts(8);
        using var policy = TinyPolicy.Create(seed: 17);
        var (trained, metrics) = RunIterations(policy, prompts, Options(budget: null), iterations: 3);
        Assert.All(metrics, m => Assert.Equal((0.0, 0, 6), (m.CutFraction, m.Resumed, m.Responses)));
        Assert.Equal(18, trained.Count);
        Assert.All(trained.Values, t => Assert.Single(t.Segments));
    }

    [Fact]
    public void A_budget_below_one_token_per_row_in_flight_cuts_every_row_without_progress()
    {
        // Why the configuration refuses token-budget < prompts-per-iteration * samples-per-prompt (tested with the binder).
        using var policy = TinyPolicy.Create(3);
        var results = BatchGenerator.Generate(policy, [new GenerationRequest([1, 2]), new GenerationRequest([3, 4])],
            new GenerationOptions { TokenBudget = 1, MaxResponseTokens = 5, StopTokens = [9999] }).Results;
        Assert.All(results, r => Assert.Equal((StopReason.Budget, 0), (r.StopReason, r.Tokens.Length)));
    }
}

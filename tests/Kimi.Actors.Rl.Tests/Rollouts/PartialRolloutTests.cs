using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;
using TorchSharp;

namespace Kimi.Actors.Rl.Tests.Rollouts;

/// <summary>
/// Partial rollouts end to end through the shared iteration steps (plan → generate under a token budget → judge or
/// keep → complete groups → train), with learning frozen and greedy decoding.
/// </summary>
public class PartialRolloutTests
{
    private static readonly ITokenizer Tokenizer = CharTokenizer.Instance;

    private static List<PromptRecord> Prompts(int n) => Enumerable.Range(0, n)
        .Select(i => new PromptRecord($"p{i}", $"{i + 3}+{2 * i + 1}=", $"{3 * i + 4}", "arithmetic", 1, []))
        .ToList();

    private static RunOptions Options(long? budget) => new()
    {
        Model = TinyPolicy.Config,
        Rollout = new RolloutOptions
        {
            PromptsPerIteration = 3, SamplesPerPrompt = 2, Temperature = 0, MaxResponseTokens = 40, TokenBudget = budget,
        },
        Optimization = new PolicyOptimizationOptions { LearningRate = 0, Epochs = 1 },
    };

    /// <summary>Runs the in-process iterations; returns every trajectory that trained, by id, and each iteration's rollout counts.</summary>
    private static (Dictionary<string, Trajectory> Trained, List<RolloutCounts> Counts) RunIterations(
        Model.Llama.LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, RunOptions options, int iterations)
    {
        using var loop = new InProcessIterations(options, policy, prompts, Tokenizer);
        var trained = new Dictionary<string, Trajectory>();
        var counts = new List<RolloutCounts>();
        for (int it = 0; it < iterations; it++)
        {
            loop.Run(it);
            counts.Add(loop.LastRollout);
            foreach (var s in loop.LastTrained.SelectMany(g => g.Samples)) trained.Add(s.Trajectory.TrajectoryId, s.Trajectory);
        }
        return (trained, counts);
    }

    [Fact]
    public void A_response_resumed_across_budget_cuts_equals_the_same_response_generated_without_a_budget()
    {
        var prompts = Prompts(8);
        using var policy = TinyPolicy.Create(seed: 17);
        var before = policy.parameters().Select(p => p.detach().clone()).ToList();

        // 3 prompts x 2 samples in flight; 12 tokens per iteration = 2 per row: a 40-token response is cut ~20 times.
        var budgeted = Options(budget: 12);
        var (trained, counts) = RunIterations(policy, prompts, budgeted, iterations: 45);

        Assert.Contains(counts, c => c.Cut > 0);
        Assert.Contains(counts, c => c.Resumed > 0);
        var multiCut = trained.Values.Where(t => t.Segments.Count >= 3).ToList();
        Assert.NotEmpty(multiCut);
        // Learning was frozen: the trainer ran, the weights did not move.
        foreach (var (p, b) in policy.parameters().Zip(before)) Assert.True(p.detach().equal(b).all().item<bool>());

        // The same requests, each generated in one go without a budget.
        var unbudgeted = Options(budget: null);
        var fresh = trained.Values.Select(t => new RolloutRequest(t.PromptId,
            PromptTokens.Encode(Tokenizer, prompts.Single(p => p.Id == t.PromptId).Prompt), t.Iteration, t.Sample)).ToList();
        var (whole, _) = RolloutWorker.Generate(policy, fresh, IterationSteps.RolloutSettings(unbudgeted), 0, seed: 99);
        foreach (var w in whole)
        {
            var cut = trained[w.TrajectoryId];
            Assert.Equal(w.ResponseTokens, cut.ResponseTokens);
            Assert.Equal(w.StopReason, cut.StopReason);
            // Segments tile the response in order, each under a newer policy version than the last.
            Assert.Equal(cut.Length, cut.Segments.Sum(s => s.Length));
            Assert.Equal(Enumerable.Range(0, cut.Segments.Count).Select(i => cut.Segments.Take(i).Sum(s => s.Length)), cut.Segments.Select(s => s.Start));
            Assert.True(cut.Segments.Zip(cut.Segments.Skip(1)).All(p => p.First.PolicyVersion < p.Second.PolicyVersion));
        }
        foreach (var p in before) p.Dispose();
    }

    [Fact]
    public void Without_a_budget_every_response_finishes_in_its_own_iteration()
    {
        var prompts = Prompts(8);
        using var policy = TinyPolicy.Create(seed: 17);
        var (trained, counts) = RunIterations(policy, prompts, Options(budget: null), iterations: 3);
        Assert.All(counts, c => Assert.Equal((0, 0, 6), (c.Cut, c.Resumed, c.Responses)));
        Assert.Equal(18, trained.Count);
        Assert.All(trained.Values, t => Assert.Single(t.Segments));
    }

    [Fact]
    public void Groups_in_flight_stay_at_prompts_per_iteration_while_long_responses_are_resumed()
    {
        var prompts = Prompts(20);
        using var policy = TinyPolicy.Create(seed: 17);
        var options = Options(budget: 12);
        var sampler = new PromptSampler(prompts.Select(p => p.Difficulty).ToList(), options.Sampling);
        var buffer = new ReplayBuffer();
        for (int it = 0; it < 6; it++)
        {
            var (requests, resumed, drawn) = IterationSteps.PlanRollouts(buffer, sampler, prompts, options, it, Tokenizer);
            Assert.Equal(3, requests.Select(r => (r.PromptId, r.Iteration)).Distinct().Count());
            Assert.Equal(resumed, requests.Count(r => r.PriorTokens is not null));
            // Continuations come first, and no drawn prompt already had a group in flight.
            Assert.True(requests.Take(resumed).All(r => r.PriorTokens is not null));
            Assert.Equal(drawn.Length, drawn.Distinct().Count());
            var (trajectories, _) = RolloutWorker.Generate(policy, requests, IterationSteps.RolloutSettings(options), it, it);
            IterationSteps.Absorb(buffer,
                trajectories.Where(t => t.Finished).Select(t => new JudgedTrajectory(t, 0, false, "test")),
                trajectories.Where(t => !t.Finished));
            buffer.TakeComplete();
            Assert.True(buffer.OpenGroups <= 3);
        }
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

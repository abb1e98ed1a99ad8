using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;

namespace Kimi.Actors.Rl.Training;

/// <summary>Outcome of a run: accuracies before and after RL on the same held-out prompts.</summary>
public sealed record RunResult(HeldOutEvaluation Sft, HeldOutEvaluation Rl, int Iterations, TimeSpan Wall);

/// <summary>
/// The k1.5 loop in one process: sample → generate k per prompt → verify → shape rewards → train.
/// Deliberately thin: every step is an operation the actor system composes the same way.
/// </summary>
public sealed class LocalTrainingLoop(RunOptions options, LlamaForCausalLM policy, TaskSuite tasks, ITokenizer tokenizer, ITrainingObserver? observer = null)
{
    private readonly ITrainingObserver _observer = observer ?? new NullObserver();
    private sealed class NullObserver : ITrainingObserver;

    public RunResult Run(CancellationToken cancel = default)
    {
        var wall = Stopwatch.StartNew();
        _observer.OnPhase("sft", options.Sft.Steps);
        SftTrainer.Train(policy, options.Sft,
            step => tasks.Demonstrations(options.Sft.SequencesPerStep, options.Sft.FlawRate, options.Seed, step, tokenizer),
            tokenizer.PadId, _observer.OnSftStep, cancel);
        if (options.Sft.Steps > 0) _observer.OnSftComplete(policy);

        var sftReport = Evaluate("sft", 0);
        using var iterations = new InProcessIterations(options, policy, tasks.Train, tokenizer);
        _observer.OnPhase("rl", options.Iterations);
        for (int it = 0; it < options.Iterations; it++)
        {
            cancel.ThrowIfCancellationRequested();
            int iteration = it;
            _observer.OnIteration(iterations.Run(it, () =>
                IterationSteps.EvaluateAfter(iteration, options.Iterations, options) ? Evaluate("rl", iteration + 1) : null));
        }
        var last = Evaluate("rl", options.Iterations);
        return new RunResult(sftReport, last, options.Iterations, wall.Elapsed);
    }

    private HeldOutEvaluation Evaluate(string label, int iteration)
    {
        var report = HeldOut.Evaluate(policy, tasks.HeldOut, tokenizer, options);
        _observer.OnEvaluation(label, iteration, report);
        return report;
    }
}

using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Host.Output;

/// <summary>Fans progress out to several observers (console and files).</summary>
public sealed class ObserverGroup(params ITrainingObserver[] observers) : ITrainingObserver
{
    public void OnPhase(string phase, int totalSteps) { foreach (var o in observers) o.OnPhase(phase, totalSteps); }
    public void OnSftStep(SftStepStats stats) { foreach (var o in observers) o.OnSftStep(stats); }
    public void OnSftComplete(LlamaForCausalLM policy) { foreach (var o in observers) o.OnSftComplete(policy); }
    public void OnEvaluation(string label, int iteration, HeldOutEvaluation evaluation) { foreach (var o in observers) o.OnEvaluation(label, iteration, evaluation); }
    public void OnIteration(IterationMetrics metrics) { foreach (var o in observers) o.OnIteration(metrics); }
    public void OnWarning(string message) { foreach (var o in observers) o.OnWarning(message); }
}

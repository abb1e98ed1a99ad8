using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Evaluation;

namespace Kimi.Actors.Rl.Training;

/// <summary>Receives a run's progress (the host draws progress bars and writes metrics from these).</summary>
public interface ITrainingObserver
{
    void OnPhase(string phase, int totalSteps) { }
    void OnSftStep(SftStepStats stats) { }
    /// <summary>Warm-up SFT is done; the policy is about to start RL (a natural checkpoint).</summary>
    void OnSftComplete(LlamaForCausalLM policy) { }
    void OnEvaluation(string label, int iteration, HeldOutEvaluation evaluation) { }
    void OnIteration(IterationMetrics metrics) { }
    /// <summary>Something worth knowing that does not stop the run.</summary>
    void OnWarning(string message) { }
}

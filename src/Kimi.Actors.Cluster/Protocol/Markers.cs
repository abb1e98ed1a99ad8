using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// Every message that may cross a process or node boundary. The serializer is bound to this interface
/// (Hyperion, with unsafe types disallowed and an allow-list of the protocol's own types). Persisted events are a
/// different contract (<see cref="Journal.IJournalEvent"/>): explicit, versioned DTOs with their own serializer.
/// </summary>
public interface IKimiMessage;

/// <summary>Routed to the Run entity of a training run (sharding key: run id).</summary>
public interface IWithRunId : IKimiMessage
{
    RunId RunId { get; }
}

/// <summary>Routed to one Prompt entity (sharding key: run id + prompt id).</summary>
public interface IWithPromptKey : IKimiMessage
{
    RunId RunId { get; }
    PromptId PromptId { get; }
}

/// <summary>Routed to one RolloutGenerator entity (sharding key: run id + slot).</summary>
public interface IWithGeneratorSlot : IKimiMessage
{
    RunId RunId { get; }
    GeneratorSlot Slot { get; }
}

/// <summary>Routed to the Trainer entity of a run (sharding key: run id).</summary>
public interface IWithTrainerRun : IKimiMessage
{
    RunId RunId { get; }
}

/// <summary>Routed to a RewardJudge entity (sharding key: judge slot).</summary>
public interface IWithJudgeSlot : IKimiMessage
{
    JudgeSlot Slot { get; }
}

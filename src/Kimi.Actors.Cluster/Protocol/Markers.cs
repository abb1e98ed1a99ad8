namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// Every message that may cross a process or node boundary. The serializer is bound to this interface
/// (Hyperion, with unsafe types disallowed and an allow-list of the protocol's own types).
/// </summary>
public interface IKimiMessage;

/// <summary>Every persisted event; serialized like messages, and versioned data once written.</summary>
public interface IKimiEvent : IKimiMessage;

/// <summary>Routed to the Run entity of a training run (sharding key: run id).</summary>
public interface IWithRunId : IKimiMessage
{
    string RunId { get; }
}

/// <summary>Routed to one Prompt entity (sharding key: run id + prompt id).</summary>
public interface IWithPromptKey : IKimiMessage
{
    string RunId { get; }
    string PromptId { get; }
}

/// <summary>Routed to one RolloutGenerator entity (sharding key: run id + slot).</summary>
public interface IWithGeneratorSlot : IKimiMessage
{
    string RunId { get; }
    int Slot { get; }
}

/// <summary>Routed to the Trainer entity of a run (sharding key: run id).</summary>
public interface IWithTrainerRun : IKimiMessage
{
    string RunId { get; }
}

/// <summary>Routed to a RewardJudge entity (sharding key: judge slot).</summary>
public interface IWithJudgeSlot : IKimiMessage
{
    int Slot { get; }
}

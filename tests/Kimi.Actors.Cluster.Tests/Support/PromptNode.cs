using Kimi.Actors.Rl.Identity;
using Akka.Actor;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>
/// A single-process node (provider local) on a given database (SQLite or PostgreSQL) that hosts Prompt entities directly, without
/// sharding; disposing it terminates the system, so the next node on the same file starts from the journal alone.
/// </summary>
internal sealed class PromptNode : IAsyncDisposable
{
    // Generous: the first write to a fresh journal creates its tables, and the machine may be shared with other builds.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, IActorRef> _prompts = [];
    private readonly PromptSettings _settings;

    public PromptNode(TempDatabase database, PromptSettings? settings = null, string extraHocon = "")
    {
        System = ClusterBootstrap.Create("prompt-node", NodeConfig.For(database, extra: extraHocon));
        _settings = settings ?? PromptSettings.FromConfig(System.Settings.Config);
    }

    public ActorSystem System { get; }

    public Task<GroupRecorded> Record(RecordJudgedGroup command) => Prompt(command.RunId, command.PromptId).Ask<GroupRecorded>(command, Timeout);

    public Task<PromptStats> Stats(RunId runId, PromptId promptId) =>
        Prompt(runId, promptId).Ask<PromptStats>(new GetPromptStats(runId, promptId), Timeout);

    private IActorRef Prompt(RunId runId, PromptId promptId)
    {
        var entityId = EntityIds.Prompt(runId, promptId);
        if (!_prompts.TryGetValue(entityId, out var prompt))
            _prompts[entityId] = prompt = System.ActorOf(PromptActor.Props(entityId, _settings));
        return prompt;
    }

    public async ValueTask DisposeAsync() => await System.Terminate();
}

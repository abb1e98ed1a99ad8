using Akka.Actor;
using Akka.DistributedData;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// The runs whose session is going on somewhere in this cluster, as a replicated set in distributed data (in memory,
/// on every member). A Run entity marks its run when a session begins and clears it when the session ends (completed or
/// failed). A Run entity that recovers — started again by remember-entities on another node after its node died, or
/// by its back-off supervisor after the journal failed it — continues its run by itself when the mark is there. The
/// mark dies with the cluster, so a cluster started afresh continues nothing on its own: a run stopped with its whole
/// cluster (Ctrl-C of a one-node `kimi train`) waits for <c>--resume</c>.
/// </summary>
public static class ActiveRuns
{
    private static readonly ORSetKey<string> Key = new("kimi-active-runs");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Marks <paramref name="run"/> active (written to a majority, so it survives the death of this node); the replicator's
    /// <see cref="IUpdateResponse"/> goes to <paramref name="replyTo"/>.
    /// </summary>
    public static void Mark(ActorSystem system, RunId run, IActorRef replyTo) => Update(system, set => set.Add(Self(system), run.Value), replyTo);

    public static void Clear(ActorSystem system, RunId run, IActorRef replyTo) => Update(system, set => set.Remove(Self(system), run.Value), replyTo);

    /// <summary>
    /// Whether <paramref name="run"/> is marked: read from a majority, or (when a majority does not answer in time, e.g.
    /// just after a node died) from this member's replica.
    /// </summary>
    public static async Task<bool> IsMarkedAsync(ActorSystem system, RunId run)
    {
        var replicator = DistributedData.Get(system).Replicator;
        foreach (IReadConsistency consistency in new IReadConsistency[] { new ReadMajority(Timeout), ReadLocal.Instance })
        {
            var response = await replicator.Ask<IGetResponse>(Dsl.Get(Key, consistency), Timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            switch (response)
            {
                case GetSuccess success: return success.Get(Key).Contains(run.Value);
                case NotFound: return false;
            }
        }
        return false;
    }

    private static Akka.Cluster.UniqueAddress Self(ActorSystem system) => Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;

    private static void Update(ActorSystem system, Func<ORSet<string>, ORSet<string>> modify, IActorRef replyTo) =>
        DistributedData.Get(system).Replicator.Tell(Dsl.Update(Key, ORSet<string>.Empty, new WriteMajority(Timeout), modify), replyTo);
}

using Kimi.Actors.Rl.Identity;
using Akka.Actor;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Tests.Support;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Tests.Prompt.PromptStateTests;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace Kimi.Actors.Cluster.Tests.Prompt;

public sealed class PromptActorTests : TestKit
{
    private readonly TempDatabase _database;

    public PromptActorTests() : this(new TempDatabase()) { }

    private PromptActorTests(TempDatabase database) : base(ClusterBootstrap.Setup(NodeConfig.For(database.File)), "prompt-actor") =>
        _database = database;

    [Fact]
    public void A_redelivered_group_is_counted_once_and_an_overlapping_one_adds_only_its_new_samples()
    {
        var prompt = Sys.ActorOf(PromptActor.Props(EntityIds.Prompt(Ids.Run("run-1"), Ids.Prompt("p-1")), new PromptSettings()));

        prompt.Tell(Group(0, (0, true), (1, false)));
        ExpectMsg(new GroupRecorded(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 2, 1, 2, 1));
        prompt.Tell(Group(0, (0, true), (1, false)));
        ExpectMsg(new GroupRecorded(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 0, 0, 2, 1));
        prompt.Tell(Group(0, (1, false), (2, true), (3, true)));
        ExpectMsg(new GroupRecorded(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 2, 2, 4, 3));
        prompt.Tell(new GetPromptStats(Ids.Run("run-1"), Ids.Prompt("p-1")));
        ExpectMsg(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-1"), 3, 4, 3, 0));

        // One journal row per group with new samples, each tagged with its run.
        Assert.Equal(2, _database.Count("journal"));
        Assert.Equal(2, _database.Count("tags"));
    }

    [Fact]
    public void A_malformed_group_is_refused_and_the_entity_carries_on()
    {
        var prompt = Sys.ActorOf(PromptActor.Props(EntityIds.Prompt(Ids.Run("run-1"), Ids.Prompt("p-1")), new PromptSettings()));
        prompt.Tell(Group(0, (0, true)));
        ExpectMsg<GroupRecorded>();

        prompt.Tell(Group(1, (-1, true)));
        Assert.IsType<ArgumentOutOfRangeException>(ExpectMsg<Status.Failure>().Cause);
        prompt.Tell(new GetPromptStats(Ids.Run("run-1"), Ids.Prompt("p-1")));
        ExpectMsg(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-1"), 3, 1, 1, 0));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _database.Dispose();
    }
}

using Akka.Actor;
using Kimi.Actors.Cluster.Workers;
using static Kimi.Actors.Cluster.Workers.DevicePool;

namespace Kimi.Actors.Cluster.Tests.Workers;

public sealed class DevicePoolTests() : Akka.TestKit.Xunit2.TestKit(TestAkka.Config)
{
    [Fact]
    public void Hands_out_least_loaded_devices_queues_when_full_and_takes_back_on_release()
    {
        var pool = Sys.ActorOf(DevicePool.Props(["cuda:0", "cuda:1"], slotsPerDevice: 1));
        pool.Tell(new Acquire("a"));
        Assert.Equal(new DeviceGranted("a", "cuda:0", 0), ExpectMsg<DeviceGranted>());
        pool.Tell(new Acquire("b"));
        Assert.Equal(new DeviceGranted("b", "cuda:1", 0), ExpectMsg<DeviceGranted>());
        pool.Tell(new Acquire("a"));
        Assert.Equal(new DeviceGranted("a", "cuda:0", 0), ExpectMsg<DeviceGranted>()); // asked again: same lease

        pool.Tell(new Acquire("c"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // both devices busy: c waits
        pool.Tell(new Release("b"));
        Assert.Equal(new DeviceGranted("c", "cuda:1", 0), ExpectMsg<DeviceGranted>());
    }

    [Fact]
    public void A_holder_that_terminates_gives_its_devices_back_to_the_next_in_line()
    {
        var pool = Sys.ActorOf(DevicePool.Props(["cpu"], slotsPerDevice: 2));
        var holder = Sys.ActorOf(Akka.Actor.Props.Create(() => new Relay(TestActor)));
        holder.Tell(new Send(pool, new Acquire("w1")));
        holder.Tell(new Send(pool, new Acquire("w2")));
        ExpectMsg<DeviceGranted>(g => g.Slot == 0);
        ExpectMsg<DeviceGranted>(g => g.Slot == 1);

        pool.Tell(new Acquire("w3"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Watch(holder);
        Sys.Stop(holder);
        // The pool's grant and our own Terminated race to this probe: take both, in either order.
        var both = ReceiveN(2);
        Assert.Contains(both, m => m is Terminated t && t.ActorRef.Equals(holder));
        Assert.Equal(new DeviceGranted("w3", "cpu", 0), Assert.Single(both.OfType<DeviceGranted>()));

        pool.Tell(GetPoolState.Instance);
        var state = ExpectMsg<PoolState>();
        Assert.Equal((1, 0), (state.FreeSlots, state.Waiting.Count));
        Assert.Equal("w3", Assert.Single(state.Leases).WorkerId);
    }

    private sealed record Send(IActorRef To, object Message) : INoSerializationVerificationNeeded;

    /// <summary>Sends what it is told to send (so the pool sees it as holder) and passes answers on.</summary>
    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef probe)
        {
            Receive<Send>(m => m.To.Tell(m.Message));
            Receive<DeviceGranted>(g => probe.Tell(g));
        }
    }
}

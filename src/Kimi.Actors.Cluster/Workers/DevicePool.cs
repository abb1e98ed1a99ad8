using System.Text.RegularExpressions;
using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>
/// One per node (a local actor, not sharded): hands out device slots (<c>cpu</c>, <c>cuda:N</c>, each with N slots)
/// to workers and takes them back on <see cref="Release"/> or when the holder terminates (death watch), so a worker
/// that dies never strands its device and a restarted one gets a device again. A request that finds every slot taken
/// waits, first come first served. The least-loaded device is handed out first, spreading workers over GPUs.
/// </summary>
public sealed partial class DevicePool : ReceiveActor
{
    public const string Name = "kimi-device-pool";

    /// <summary>Asks for a slot for <see cref="WorkerId"/>; the sender is the holder (death-watched). Answered with <see cref="DeviceGranted"/>, possibly later.</summary>
    public sealed record Acquire(string WorkerId) : IKimiMessage;

    public sealed record DeviceGranted(string WorkerId, string Device, int Slot) : IKimiMessage;

    /// <summary>Gives back the holder's slot for <see cref="WorkerId"/> (or withdraws its waiting request).</summary>
    public sealed record Release(string WorkerId) : IKimiMessage;

    public sealed record GetPoolState : IKimiMessage
    {
        public static GetPoolState Instance { get; } = new();
    }

    public sealed record DeviceLease(string Device, int Slot, string WorkerId, IActorRef Holder);

    public sealed record PoolState(IReadOnlyList<DeviceLease> Leases, int FreeSlots, IReadOnlyList<string> Waiting) : IKimiMessage;

    private readonly IReadOnlyList<string> _devices;
    private readonly DeviceLease?[][] _slots;
    private readonly List<(IActorRef Holder, string WorkerId)> _waiting = [];

    public DevicePool(IReadOnlyList<string> devices, int slotsPerDevice)
    {
        if (devices.Count == 0) throw new ArgumentException("a device pool needs at least one device");
        if (slotsPerDevice < 1) throw new ArgumentException($"slots per device must be >= 1, got {slotsPerDevice}");
        _devices = devices;
        _slots = devices.Select(_ => new DeviceLease?[slotsPerDevice]).ToArray();

        Receive<Acquire>(m => OnAcquire(Sender, m.WorkerId));
        Receive<Release>(m => OnRelease(Sender, m.WorkerId));
        Receive<Terminated>(t => OnHolderTerminated(t.ActorRef));
        Receive<GetPoolState>(_ => Sender.Tell(new PoolState(
            Leases().ToList(), _slots.Sum(s => s.Count(x => x is null)), _waiting.Select(w => w.WorkerId).ToList())));
    }

    public static Props Props(IReadOnlyList<string> devices, int slotsPerDevice) =>
        Akka.Actor.Props.Create(() => new DevicePool(devices, slotsPerDevice));

    public static bool IsDeviceName(string device) => DeviceName().IsMatch(device);

    [GeneratedRegex("^(cpu|cuda|cuda:[0-9]+)$")]
    private static partial Regex DeviceName();

    private IEnumerable<DeviceLease> Leases() => _slots.SelectMany(s => s).OfType<DeviceLease>();

    private void OnAcquire(IActorRef holder, string workerId)
    {
        if (Leases().FirstOrDefault(l => l.Holder.Equals(holder) && l.WorkerId == workerId) is { } held)
        {
            holder.Tell(new DeviceGranted(workerId, held.Device, held.Slot)); // a repeated request: same answer
            return;
        }
        Context.Watch(holder);
        if (!_waiting.Contains((holder, workerId))) _waiting.Add((holder, workerId));
        GrantWaiting();
    }

    private void OnRelease(IActorRef holder, string workerId)
    {
        _waiting.Remove((holder, workerId));
        Free(l => l.Holder.Equals(holder) && l.WorkerId == workerId);
        if (!Leases().Any(l => l.Holder.Equals(holder)) && !_waiting.Any(w => w.Holder.Equals(holder))) Context.Unwatch(holder);
        GrantWaiting();
    }

    private void OnHolderTerminated(IActorRef holder)
    {
        _waiting.RemoveAll(w => w.Holder.Equals(holder));
        Free(l => l.Holder.Equals(holder));
        GrantWaiting();
    }

    private void Free(Func<DeviceLease, bool> which)
    {
        foreach (var slots in _slots)
            for (int i = 0; i < slots.Length; i++)
                if (slots[i] is { } l && which(l)) slots[i] = null;
    }

    private void GrantWaiting()
    {
        while (_waiting.Count > 0)
        {
            // Least-loaded device with a free slot; ties go to the first configured.
            int best = -1;
            for (int d = 0; d < _slots.Length; d++)
                if (_slots[d].Any(s => s is null) && (best < 0 || _slots[d].Count(s => s is not null) < _slots[best].Count(s => s is not null)))
                    best = d;
            if (best < 0) return;
            var (holder, workerId) = _waiting[0];
            _waiting.RemoveAt(0);
            int slot = Array.IndexOf(_slots[best], null);
            _slots[best][slot] = new DeviceLease(_devices[best], slot, workerId, holder);
            holder.Tell(new DeviceGranted(workerId, _devices[best], slot));
        }
    }
}

public static class DevicePoolRegistration
{
    /// <summary>Starts the node's pool as <c>/user/kimi-device-pool</c> from <c>kimi.workers.devices</c> and <c>slots-per-device</c>.</summary>
    public static IActorRef StartDevicePool(this ActorSystem system, WorkerSettings settings) =>
        system.ActorOf(DevicePool.Props(settings.Devices, settings.SlotsPerDevice), DevicePool.Name);
}

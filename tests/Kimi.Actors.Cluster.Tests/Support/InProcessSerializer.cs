using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Serialization;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>
/// Test-only: "serializes" an object by parking it in memory under a number, so <c>serialize-messages = on</c> passes
/// it through unchanged. Bound only to library messages that never leave their process and that Akka's default JSON
/// serializer cannot round-trip (Akka.Persistence.Sql's journal and read-journal internals: a write's Task, immutable
/// lists), which would otherwise be dropped or mangled under serialize-messages and stall the journal and queries.
/// </summary>
public sealed class InProcessSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private static readonly ConcurrentDictionary<long, object> Parked = new();
    private static long _next;

    public override int Identifier => 917_311;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        long id = Interlocked.Increment(ref _next);
        Parked[id] = obj;
        return BitConverter.GetBytes(id);
    }

    public override object FromBinary(byte[] bytes, Type type) =>
        Parked.TryRemove(BitConverter.ToInt64(bytes), out var obj) ? obj : throw new InvalidOperationException("parked object already taken");
}

using System.Collections;
using System.Reflection;
using Akka.Actor;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>
/// Field-by-field equality of two object graphs (records compare arrays by reference, which a round trip never keeps).
/// Types must match exactly, so a round trip that changes a collection's type fails too — unless
/// <paramref name="exactCollections"/> is false (the journal keeps contents, not the concrete collection a producer built).
/// </summary>
internal static class DeepEquality
{
    public static void AssertEqual(object? expected, object? actual, string path = "$", bool exactCollections = true)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        bool collections = expected is IEnumerable and not string && actual is IEnumerable and not string;
        if (exactCollections || !collections)
            Assert.True(type == actual.GetType(), $"{path}: expected a {type}, got a {actual.GetType()}");

        switch (expected)
        {
            case string or decimal or TimeSpan or DateTime or DateTimeOffset or Guid or IActorRef:
            case var _ when type.IsPrimitive || type.IsEnum:
                Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                return;
            case IDictionary map when actual is IDictionary:
                var other = (IDictionary)actual;
                Assert.True(map.Count == other.Count, $"{path}: expected {map.Count} entries, got {other.Count}");
                foreach (DictionaryEntry entry in map)
                {
                    Assert.True(other.Contains(entry.Key), $"{path}: key {entry.Key} missing");
                    AssertEqual(entry.Value, other[entry.Key], $"{path}[{entry.Key}]", exactCollections);
                }
                return;
            case IEnumerable items:
                var xs = items.Cast<object?>().ToList();
                var ys = ((IEnumerable)actual).Cast<object?>().ToList();
                Assert.True(xs.Count == ys.Count, $"{path}: expected {xs.Count} items, got {ys.Count}");
                for (int i = 0; i < xs.Count; i++) AssertEqual(xs[i], ys[i], $"{path}[{i}]", exactCollections);
                return;
        }
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertEqual(field.GetValue(expected), field.GetValue(actual), $"{path}.{field.Name}", exactCollections);
        }
    }
}

using System.Collections.Immutable;
using Hyperion;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Hyperion's view of an <see cref="AllowList"/>: a type name (as Hyperion writes it) is allowed when it names one of
/// the list's types, or a compiler-synthesized collection-expression type (<c>&lt;&gt;z__ReadOnlyArray`1</c>,
/// <c>&lt;&gt;z__ReadOnlyList`1</c>, <c>&lt;&gt;z__ReadOnlySingleElementList`1</c>) of an allowed list element, defined
/// in one of Kimi's assemblies. Only the name is inspected: nothing is loaded to decide.
/// </summary>
/// <remarks>
/// Hyperion 0.12.2 asks with two spellings: the short name it writes in frames (versions dropped, the core library as
/// <c>%core%</c>) when reading, and <see cref="Type.AssemblyQualifiedName"/> when writing a message's root object. Both
/// are accepted for the allowed types, so a sender refuses what its receivers would.
/// </remarks>
public sealed class KimiTypeFilter : ITypeFilter
{
    private static readonly string[] CollectionExpressionTypes =
        ["<>z__ReadOnlyArray`1", "<>z__ReadOnlyList`1", "<>z__ReadOnlySingleElementList`1"];

    private readonly ImmutableHashSet<string> _names;
    private readonly ImmutableHashSet<string> _elementNames;

    public KimiTypeFilter(AllowList allowList)
    {
        _names = ShortNames(allowList.Types).Union(allowList.Types.Select(t => t.AssemblyQualifiedName!));
        _elementNames = ShortNames(allowList.ListElements);
    }

    public bool IsAllowed(string typeName) => _names.Contains(typeName) || IsCollectionExpression(typeName);

    // <>z__ReadOnlyArray`1[[<element name>]], <assembly>
    private bool IsCollectionExpression(string typeName)
    {
        foreach (var definition in CollectionExpressionTypes)
        {
            var prefix = definition + "[[";
            if (!typeName.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int close = typeName.LastIndexOf("]], ", StringComparison.Ordinal);
            if (close < prefix.Length) return false;
            var element = typeName[prefix.Length..close];
            var assembly = typeName[(close + "]], ".Length)..];
            return _elementNames.Contains(element) && !assembly.AsSpan().ContainsAny(",[]= ") && AllowList.IsKimiAssembly(assembly);
        }
        return false;
    }

    // Hyperion's own spelling of each name (assembly versions dropped, the core library as %core%).
    private static ImmutableHashSet<string> ShortNames(IEnumerable<Type> types)
    {
        var builder = TypeFilterBuilder.Create();
        foreach (var type in types) builder.Include(type);
        return builder.Build().FilteredTypes;
    }
}

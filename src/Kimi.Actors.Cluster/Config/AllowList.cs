using System.Collections;
using System.Collections.Immutable;
using System.Collections.ObjectModel;
using System.Reflection;
using Akka.Actor;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// The types Hyperion may name while writing the roots: the roots, the types of all their fields recursively (Kimi's
/// records and enums from Rl, Tasks and Model; nullable values; BCL values such as <see cref="TimeSpan"/>), the
/// concrete collections that can stand behind a collection-typed field (<c>T[]</c> and <c>List&lt;T&gt;</c> for list
/// shapes, <c>Dictionary&lt;K,V&gt;</c> and <c>ReadOnlyDictionary&lt;K,V&gt;</c> for dictionary shapes), and the
/// surrogate Akka writes for an <see cref="IActorRef"/>. A field of any other interface or abstract type admits its
/// concrete implementations in Kimi's assemblies; a field typed <see cref="object"/> admits nothing by itself.
/// </summary>
/// <param name="Types">The exact types admitted.</param>
/// <param name="ListElements">
/// Element types of list-shaped fields: <c>IReadOnlyList&lt;T&gt; x = [a, b]</c> builds a type the compiler synthesizes
/// in whichever assembly holds the expression (<c>&lt;&gt;z__ReadOnlyArray&lt;T&gt;</c> and its siblings), so those are
/// admitted by name pattern for these elements (<see cref="KimiTypeFilter"/>).
/// </param>
public sealed record AllowList(IReadOnlySet<Type> Types, IReadOnlySet<Type> ListElements)
{
    public static AllowList For(IEnumerable<Type> roots)
    {
        var walker = new Walker(KimiAssemblies());
        foreach (var root in roots) walker.Visit(root);
        return new AllowList(walker.Types.ToImmutableHashSet(), walker.ListElements.ToImmutableHashSet());
    }

    public bool Contains(Type type) => Types.Contains(type);

    /// <summary>
    /// The Cluster assembly, the Kimi assemblies it references (transitively) and the Kimi entry assembly (the Host's
    /// <c>kimi</c>): fixed for a given program, so the list does not depend on what happens to be loaded.
    /// </summary>
    private static IReadOnlyList<Assembly> KimiAssemblies()
    {
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>();
        pending.Push(typeof(AllowList).Assembly);
        if (Assembly.GetEntryAssembly() is { } entry && IsKimiAssembly(entry.GetName().Name)) pending.Push(entry);
        while (pending.TryPop(out var assembly))
        {
            if (!found.TryAdd(assembly.FullName!, assembly)) continue;
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => IsKimiAssembly(r.Name)))
                pending.Push(Assembly.Load(reference));
        }
        return [.. found.Values.OrderBy(a => a.FullName, StringComparer.Ordinal)];
    }

    /// <summary>Kimi's assemblies: the libraries Kimi.Actors.* and the Host executable, kimi.</summary>
    internal static bool IsKimiAssembly(string? name) =>
        name is not null && (name.StartsWith("Kimi.", StringComparison.Ordinal) || name == "kimi");

    private sealed class Walker(IReadOnlyList<Assembly> assemblies)
    {
        private static readonly Type[] ListShapes =
            [typeof(IEnumerable<>), typeof(IReadOnlyList<>), typeof(IReadOnlyCollection<>), typeof(IList<>), typeof(ICollection<>)];
        private static readonly Type[] MapShapes = [typeof(IReadOnlyDictionary<,>), typeof(IDictionary<,>)];

        private readonly HashSet<Type> _seen = [];
        private Type[]? _kimiTypes;

        public HashSet<Type> Types { get; } = [];
        public HashSet<Type> ListElements { get; } = [];

        public void Visit(Type type)
        {
            if (!_seen.Add(type) || type == typeof(object) || type.ContainsGenericParameters) return;

            if (type.IsArray)
            {
                Types.Add(type);
                Visit(type.GetElementType()!);
            }
            else if (typeof(IActorRef).IsAssignableFrom(type))
            {
                // Akka's Hyperion integration writes every actor ref as this surrogate (its path).
                Types.Add(typeof(ActorRefBase.Surrogate));
            }
            else if (IsShape(type, ListShapes))
            {
                var element = type.GetGenericArguments()[0];
                ListElements.Add(element);
                Visit(element.MakeArrayType());
                Visit(typeof(List<>).MakeGenericType(element));
            }
            else if (IsShape(type, MapShapes))
            {
                Visit(typeof(Dictionary<,>).MakeGenericType(type.GetGenericArguments()));
                Visit(typeof(ReadOnlyDictionary<,>).MakeGenericType(type.GetGenericArguments()));
            }
            else if (type.IsInterface || type.IsAbstract)
            {
                var implementations = KimiTypes().Where(t => type.IsAssignableFrom(t) && t is { IsAbstract: false, ContainsGenericParameters: false });
                foreach (var implementation in implementations) Visit(implementation);
            }
            else if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
            {
                // BCL values and collections: Hyperion writes them with its own serializers, so only their type
                // arguments can add names, and the entries of dictionaries: DictionaryEntry (keys and values boxed,
                // so named) for Dictionary, KeyValuePair for other dictionaries.
                Types.Add(type);
                foreach (var argument in type.GetGenericArguments()) Visit(argument);
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
                    Visit(typeof(DictionaryEntry));
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ReadOnlyDictionary<,>))
                    Visit(typeof(KeyValuePair<,>).MakeGenericType(type.GetGenericArguments()));
            }
            else
            {
                // Records, classes, structs and enums: Hyperion writes every instance field, inherited ones included.
                Types.Add(type);
                const BindingFlags declaredFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
                for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
                {
                    foreach (var field in t.GetFields(declaredFields)) Visit(field.FieldType);
                }
            }
        }

        private static bool IsShape(Type type, Type[] shapes) =>
            type.IsInterface && type.IsGenericType && Array.IndexOf(shapes, type.GetGenericTypeDefinition()) >= 0;

        private Type[] KimiTypes() => _kimiTypes ??= [.. assemblies.SelectMany(LoadableTypes)];

        private static IEnumerable<Type> LoadableTypes(Assembly assembly)
        {
            try { return assembly.GetTypes(); }
            catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>(); }
        }
    }
}

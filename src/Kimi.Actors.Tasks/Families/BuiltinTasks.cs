namespace Kimi.Actors.Tasks;

/// <summary>The task families that ship with the framework.</summary>
public static class BuiltinTasks
{
    public static IReadOnlyList<ITaskFamily> All { get; } =
        [new SumTask(), new CountdownTask(), new CodeTask(), new ShapeCountTask(), new RenderedSumTask(), new SceneCountTask()];

    /// <exception cref="ArgumentException">No built-in family has that name; the message lists them.</exception>
    public static ITaskFamily ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(f => f.Name == name)
            ?? throw new ArgumentException($"unknown task family '{name}'; built-in families: {string.Join(", ", All.Select(f => f.Name))}", nameof(name));
    }
}

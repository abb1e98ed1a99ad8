using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>Typed ids from the short literals tests use.</summary>
internal static class Ids
{
    public static RunId Run(string id) => RunId.Parse(id);

    public static PromptId Prompt(string id) => new(id);

    public static TrajectoryId Trajectory(string prompt, int iteration, int sample) => new(new PromptId(prompt), iteration, sample);
}

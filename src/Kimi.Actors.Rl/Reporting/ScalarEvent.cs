namespace Kimi.Actors.Rl.Reporting;

/// <summary>One scalar read back from a TensorBoard event file.</summary>
/// <param name="WallTime">Seconds since the Unix epoch.</param>
public sealed record ScalarEvent(string Tag, long Step, float Value, double WallTime);

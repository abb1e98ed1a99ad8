namespace Kimi.Actors.Reporting.Tests;

/// <summary>One scalar read back from a TensorBoard event file.</summary>
/// <param name="WallTime">Seconds since the Unix epoch.</param>
public sealed record ScalarEvent(string Tag, long Step, float Value, double WallTime);

/// <summary>One text summary read back from a TensorBoard event file.</summary>
public sealed record TextEvent(string Tag, long Step, string Text, double WallTime);

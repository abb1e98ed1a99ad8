namespace Kimi.Actors.Reporting;

/// <summary>One line of a <see cref="LineChart"/>; points with a NaN or infinite coordinate are skipped.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

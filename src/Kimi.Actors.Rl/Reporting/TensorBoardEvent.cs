namespace Kimi.Actors.Rl.Reporting;

/// <summary>Field numbers of tensorflow.Event, Summary and Summary.Value used here.</summary>
internal static class TensorBoardEvent
{
    public const int WallTime = 1, Step = 2, FileVersion = 3, Summary = 5;
    public const int SummaryValue = 1;
    public const int ValueTag = 1, ValueSimpleValue = 2;

    public const string FileVersionText = "brain.Event:2";

    /// <summary>Seconds since the Unix epoch, with sub-second precision, as Event.wall_time holds them.</summary>
    public static double UnixSeconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond;
}

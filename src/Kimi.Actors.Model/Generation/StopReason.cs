namespace Kimi.Actors.Model.Generation;

/// <summary>Why a response stopped growing.</summary>
public enum StopReason
{
    /// <summary>A stop token (end of sequence) was produced: the response is complete.</summary>
    Stop,
    /// <summary>The response reached the maximum response length.</summary>
    MaxLength,
    /// <summary>The generator's output-token budget for this call ran out; the response may be continued later.</summary>
    Budget,
    /// <summary>A repetition detector ended a degenerate loop.</summary>
    Repeat,
}

namespace Kimi.Actors.Rl.Reporting;

internal readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Text = new(34, 34, 34);
    public static readonly Rgb Axis = new(68, 68, 68);
    public static readonly Rgb Grid = new(230, 230, 230);

    /// <summary>The matplotlib "tab10" colours: distinct, colour-blind friendly and familiar to researchers.</summary>
    public static readonly Rgb[] SeriesPalette =
    [
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28), new(0x94, 0x67, 0xbd),
        new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f), new(0xbc, 0xbd, 0x22), new(0x17, 0xbe, 0xcf),
    ];
}

using Kimi.Actors.Tasks.Images;
using SkiaSharp;

namespace Kimi.Actors.Tasks.Tests;

/// <summary>The prompt-set schema's images: read, decoded and hashed on load; every bad image named by file, line and index.</summary>
public sealed class PromptImageTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("kimi-images-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static byte[] Png(int width, int height, SKColor colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(colour);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string PromptFile(params string[] imageLists)
    {
        var path = Path.Combine(directory, "set", "prompts.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, imageLists.Select((images, i) =>
            $$"""{"id":"p{{i}}","prompt":"count red:","answer":"1","domain":"visual-counting","difficulty":1,"images":{{images}}}"""));
        return path;
    }

    [Fact]
    public void Paths_relative_to_the_prompt_file_and_data_uris_load_with_their_hashes()
    {
        var red = Png(20, 10, SKColors.Red);
        var jpeg = Png(8, 8, SKColors.Blue, SKEncodedImageFormat.Jpeg);
        Write("set/pics/red.png", red);
        var uri = DataUri.Encode(jpeg, "JPEG");
        var path = PromptFile("""["pics/red.png"]""", $$"""["{{uri}}", "pics/red.png"]""");

        var records = PromptSet.Load(path);

        Assert.Equal(PromptImage.Hash(red), records[0].Images.Single().Sha256);
        Assert.Equal("file:" + Path.Combine(directory, "set", "pics", "red.png"), records[0].Images[0].Source);
        Assert.Equal([PromptImage.Hash(jpeg), PromptImage.Hash(red)], records[1].Images.Select(i => i.Sha256));
        Assert.Equal($"inline:2:0:{path}", records[1].Images[0].Source);
        // Both kinds read back to the very bytes they were loaded from.
        Assert.Equal(jpeg, ImageSources.ReadVerified(records[1].Images[0]));
        Assert.Equal(red, ImageSources.ReadVerified(records[1].Images[1]));
    }

    [Fact]
    public void A_missing_image_names_the_file_line_and_image()
    {
        Write("set/pics/red.png", Png(4, 4, SKColors.Red));
        var path = PromptFile("""["pics/red.png"]""", """["pics/red.png", "pics/gone.png"]""");

        var e = Assert.Throws<PromptSetException>(() => PromptSet.Load(path));

        Assert.Equal((path, 2, "images[1]"), (e.FilePath, e.Line, e.Field));
        Assert.Equal($"{path}:2: field 'images[1]': image 'pics/gone.png' ({Path.Combine(directory, "set", "pics", "gone.png")}): file not found", e.Message);
    }

    [Fact]
    public void A_corrupt_or_truncated_image_or_bad_base64_names_the_image()
    {
        var png = Png(64, 64, SKColors.Green);
        Write("set/noise.png", [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37))]);
        Write("set/cut.png", png[..(png.Length / 2)]);
        Write("set/pic.gif", GifBytes());
        var cases = new (string Images, string Expected)[]
        {
            ("""["noise.png"]""", "field 'images[0]': image 'noise.png' (" + Path.Combine(directory, "set", "noise.png") + "): not a PNG or JPEG image (it does not decode)"),
            ("""["cut.png"]""", "field 'images[0]': image 'cut.png' (" + Path.Combine(directory, "set", "cut.png") + "): the image data is truncated or corrupt"),
            ("""["pic.gif"]""", "field 'images[0]': image 'pic.gif' (" + Path.Combine(directory, "set", "pic.gif") + "): unsupported image format Gif (PNG or JPEG)"),
            ("""["data:image/png;base64,@@@"]""", "field 'images[0]': inline image: malformed base64"),
            ("""["data:text/plain;base64,AAAA"]""", "field 'images[0]': expected data:image/png;base64,... or data:image/jpeg;base64,..."),
            ("""["data:image/png;base64,AAAA"]""", "field 'images[0]': inline image: not a PNG or JPEG image (it does not decode)"),
            ("""[3]""", "field 'images': expected an array of image paths or data URIs, got [3]"),
            ("""["render:nope:x"]""", "field 'images[0]': unknown image renderer 'nope'"),
        };
        foreach (var (images, expected) in cases)
        {
            var path = PromptFile(images);
            var e = Assert.Throws<PromptSetException>(() => PromptSet.Load(path));
            Assert.Equal(1, e.Line);
            Assert.StartsWith($"{path}:1: {expected}", e.Message);
        }
    }

    [Fact]
    public void An_image_changed_after_loading_is_refused_by_its_hash()
    {
        var file = Write("set/a.png", Png(4, 4, SKColors.Red));
        var record = PromptSet.Load(PromptFile("""["a.png"]"""))[0];
        File.WriteAllBytes(file, Png(4, 4, SKColors.Blue));

        var e = Assert.Throws<PromptImageException>(() => ImageSources.ReadVerified(record.Images[0]));
        Assert.Contains($"differs from {record.Images[0].Sha256} recorded when its prompt set was loaded", e.Message);
    }

    [Fact]
    public void Writing_and_loading_keeps_images_by_content()
    {
        Write("set/a.png", Png(6, 3, SKColors.Red));
        var uri = DataUri.Encode(Png(5, 5, SKColors.Yellow), "PNG");
        var loaded = PromptSet.Load(PromptFile($$"""["a.png", "{{uri}}"]""")).ToList();
        loaded.Add(new ShapeCountTask().Generate(new Random(3), 2, "shapes-1"));
        var copy = Path.Combine(directory, "copy.jsonl");

        PromptSet.Write(copy, loaded);

        Assert.Equal(loaded, PromptSet.Load(copy));
    }

    [Fact]
    public void Fitting_keeps_the_aspect_ratio_and_pads_the_rest()
    {
        var wide = Png(40, 20, new SKColor(200, 10, 10));

        var fitted = ImageCodec.Fit(wide, 16);

        Assert.Equal((16, 16, 8), (fitted.ContentWidth, fitted.Size, fitted.ContentHeight));
        Assert.Equal((200, 10, 10), Pixel(fitted, 3, 3));
        Assert.Equal((0, 0, 0), Pixel(fitted, 3, 12));
    }

    private static (int, int, int) Pixel(RgbImage image, int x, int y)
    {
        int p = (y * image.Size + x) * 3;
        return (image.Rgb[p], image.Rgb[p + 1], image.Rgb[p + 2]);
    }

    private static byte[] GifBytes() => Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");
}

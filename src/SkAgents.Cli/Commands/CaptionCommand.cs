using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SkAgents.Plugins;
using SkAgents.Plugins.Captioning;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents caption &lt;image&gt; [--social]</c>: describe an image, or write a social-media post for it.</summary>
internal static class CaptionCommand
{
    public static Command Create(CliContext context)
    {
        var image = new Argument<string>("image") { Description = "A PNG or JPEG file, or an http(s) URL." };
        var social = new Option<bool>("--social") { Description = "Write a social-media post for the image (needs a chat model)." };
        var platform = new Option<string>("--platform") { Description = "The platform of the post.", DefaultValueFactory = _ => "Mastodon" };
        var tone = new Option<string>("--tone") { Description = "The tone of the post.", DefaultValueFactory = _ => "friendly" };
        var hashtags = new Option<int>("--hashtags") { Description = "How many hashtags, 0 to 30.", DefaultValueFactory = _ => 3 };
        var rhyme = new Option<bool>("--rhyme") { Description = "Include a phrase that rhymes with the description." };
        var noEmoji = new Option<bool>("--no-emoji") { Description = "Use no emoji." };
        var voice = new Option<string?>("--voice") { Description = "Write in a Mastodon account's voice (user@instance; needs the Mastodon plugin)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("caption", "Describe an image (local captioning model or a chat model that accepts images), or write a post for it with --social.")
        {
            image, social, platform, tone, hashtags, rhyme, noEmoji, voice, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var plugin = services.GetRequiredService<CaptioningPlugin>();
            object result = parse.GetValue(social) || parse.GetValue(voice) is not null
                ? await plugin.WriteSocialPostAsync(
                    parse.GetRequiredValue(image), parse.GetRequiredValue(platform), parse.GetRequiredValue(tone), parse.GetValue(hashtags),
                    emoji: !parse.GetValue(noEmoji), rhyme: parse.GetValue(rhyme), mastodonAccount: parse.GetValue(voice),
                    services: new CatalogServices(services), cancellationToken: ct)
                : await plugin.CaptionImageAsync(parse.GetRequiredValue(image), ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(result, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            await context.Out.WriteLineAsync(result switch
            {
                SocialPost post => post.Post,
                ImageCaption caption => caption.Caption,
                _ => result.ToString(),
            });
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Gives the plugin the host's plugin catalog (for the Mastodon voice) and services.</summary>
    private sealed class CatalogServices(IServiceProvider services) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(PluginCatalog) ? services.GetService<PluginCatalog>() : services.GetService(serviceType);
    }
}

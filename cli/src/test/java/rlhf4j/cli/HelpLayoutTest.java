package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** Every command's usage help, rendered as {@code --help} shows it: no broken words, no doubles. */
class HelpLayoutTest {
  /** Words longer than this may be cut by picocli when no column holds them; none are. */
  private static final int LONGEST_WORD = 30;

  /** {@code rlhf4j}, then each subcommand's qualified name and its usage help, recursively. */
  static Map<String, CommandLine> commands() {
    Map<String, CommandLine> all = new LinkedHashMap<>();
    collect(Rlhf4jCli.commandLine(), all);
    return all;
  }

  private static void collect(CommandLine cmd, Map<String, CommandLine> all) {
    all.put(cmd.getCommandSpec().qualifiedName(), cmd);
    for (CommandLine sub : cmd.getSubcommands().values()) {
      collect(sub, all);
    }
  }

  /** The texts the help is made from (descriptions, header, footer), as written. */
  static List<String> sourceTexts(CommandSpec spec) {
    List<String> texts = new ArrayList<>();
    texts.addAll(Arrays.asList(spec.usageMessage().description()));
    texts.addAll(Arrays.asList(spec.usageMessage().header()));
    texts.addAll(Arrays.asList(spec.usageMessage().footer()));
    for (ArgSpec arg : spec.args()) {
      if (!arg.hidden()) {
        texts.addAll(Arrays.asList(arg.description()));
      }
    }
    return texts;
  }

  /** The words of {@link #sourceTexts}. */
  static Set<String> sourceWords(CommandSpec spec) {
    return sourceTexts(spec).stream()
        .flatMap(t -> Arrays.stream(t.split("%n|\\s+")))
        .filter(w -> !w.isEmpty() && w.length() <= LONGEST_WORD)
        .filter(w -> !w.contains("%") && !w.contains("$") && !w.contains("@|"))
        .collect(Collectors.toSet());
  }

  @Test
  void everyCommandIsRendered() {
    Set<String> names = commands().keySet();
    assertTrue(names.size() > 12, names.toString());
    assertTrue(names.contains("rlhf4j ppo") && names.contains("rlhf4j help"), names.toString());
  }

  @Test
  void noLineEndsInsideADottedName() {
    Pattern endsWithDot = Pattern.compile("(\\S*[A-Za-z0-9_]\\.)$");
    Pattern firstWord = Pattern.compile("^\\s*(\\S+)");
    commands()
        .forEach(
            (name, cmd) -> {
              String source = String.join(" ", sourceTexts(cmd.getCommandSpec()));
              String[] lines = cmd.getUsageMessage(Ansi.OFF).split("\\R");
              for (int i = 0; i + 1 < lines.length; i++) {
                Matcher end = endsWithDot.matcher(lines[i]);
                Matcher next = firstWord.matcher(lines[i + 1]);
                if (end.find() && next.find()) {
                  String joined = end.group(1) + next.group(1); // e.g. trainer. + output_dir
                  assertTrue(
                      !source.contains(joined),
                      name + " breaks " + joined + ":\n" + lines[i] + "\n" + lines[i + 1]);
                }
              }
            });
  }

  @Test
  void everyWordOfTheHelpTextsComesOutWhole() {
    commands()
        .forEach(
            (name, cmd) -> {
              String help = cmd.getUsageMessage(Ansi.OFF);
              Set<String> rendered = new HashSet<>(Arrays.asList(help.split("\\s+")));
              List<String> broken =
                  sourceWords(cmd.getCommandSpec()).stream()
                      .filter(w -> !rendered.contains(w))
                      .sorted()
                      .toList();
              assertEquals(List.of(), broken, name + " breaks words:\n" + help);
            });
  }

  @Test
  void theSynopsisBreaksOnlyBetweenOptions() {
    commands()
        .forEach(
            (name, cmd) -> {
              String synopsis = cmd.getHelp().synopsis(cmd.getHelp().synopsisHeadingLength());
              for (String line : synopsis.split("\\R")) {
                assertTrue(
                    !line.matches(".*[,\\[=|(]$"), // e.g. "[--metrics=KEY[," then "KEY...]]"
                    name + " breaks an option in its synopsis:\n" + synopsis);
              }
            });
  }

  @Test
  void noOptionIsListedTwice() {
    Pattern option = Pattern.compile("(?m)^ +(?:-\\w, )?(--[\\w-]+)");
    commands()
        .forEach(
            (name, cmd) -> {
              String help = cmd.getUsageMessage(Ansi.OFF);
              Matcher m = option.matcher(help);
              List<String> listed = m.results().map(r -> r.group(1)).toList();
              assertEquals(
                  listed.stream().distinct().count(),
                  listed.size(),
                  name + " lists an option twice: " + listed);
            });
  }

  @Test
  void helpStillWrapsLongTextsAtSpacesWithinTheWidth() {
    commands()
        .forEach(
            (name, cmd) -> {
              for (String line : cmd.getUsageMessage(Ansi.OFF).split("\\R")) {
                assertTrue(line.length() <= 80, name + " has a line over 80 columns: " + line);
              }
            });
  }

  @Test
  void hidingPunctuationIsUndone() {
    String s =
        "trainer.output_dir, 1.41e-5 (a/b) [x]: `y` 'z' \"q\" <s> {t} k=v; 50% #1 ~ ^ & * + ?";
    String hidden = WholeWordHelp.WholeWordTable.hide(s);
    assertEquals(s.length(), hidden.length());
    assertTrue(hidden.chars().filter(c -> c == '.' || c == ',' || c == ':').count() == 0, hidden);
    assertEquals(s, WholeWordHelp.WholeWordTable.show(hidden));
  }
}

package rlhf4j.cli;

import java.util.IllegalFormatException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Usage help that wraps lines at spaces only. Picocli wraps with the JDK's line {@code
 * BreakIterator}, which also breaks after {@code .}, {@code ,} and {@code :} and between a number
 * and a letter, so {@code trainer.output_dir} came out as {@code "trainer."} and {@code
 * "output_dir"} on two lines and {@code 1.41e-5} as {@code 1.41} and {@code e-5}. Picocli already
 * hides {@code -} from that iterator; {@link WholeWordTable} hides the other ASCII punctuation the
 * same way. Installed on every command by {@link #install}.
 */
final class WholeWordHelp extends Help {
  private WholeWordHelp(CommandSpec spec, ColorScheme scheme) {
    super(spec, scheme);
  }

  /** Makes {@code cli} and all its subcommands (recursively) render their help with this class. */
  static void install(CommandLine cli) {
    cli.setHelpFactory(WholeWordHelp::new);
  }

  @Override
  public Layout createDefaultLayout(
      List<OptionSpec> options, List<PositionalParamSpec> positionals, ColorScheme scheme) {
    Layout base = super.createDefaultLayout(options, positionals, scheme);
    return new Layout(
        scheme,
        WholeWordTable.like(base.textTable(), scheme),
        base.optionRenderer(),
        base.parameterRenderer());
  }

  @Override
  public String description(Object... params) {
    return join(usage().description(), params);
  }

  @Override
  public String header(Object... params) {
    return join(usage().header(), params);
  }

  @Override
  public String footer(Object... params) {
    return join(usage().footer(), params);
  }

  @Override
  public String customSynopsis(Object... params) {
    return join(usage().customSynopsis(), params);
  }

  /** Picocli's synopsis layout (4.7), wrapped at spaces only. */
  @Override
  protected String insertSynopsisCommandName(int headingLength, Text details) {
    if (headingLength < 0) {
      throw new IllegalArgumentException("synopsisHeadingLength must be >= 0: " + headingLength);
    }
    UsageMessageSpec usage = usage();
    String commandName = commandSpec().qualifiedName();
    int indent = headingLength + commandName.length() + 1;
    if (indent > usage.synopsisAutoIndentThreshold() * usage.width()) {
      indent = usage.synopsisIndent() < 0 ? headingLength : usage.synopsisIndent();
      indent = Math.min(indent, (int) (0.9 * usage.width())); // picocli's maximum threshold
    }
    WholeWordTable table =
        new WholeWordTable(colorScheme(), new Column(usage.width(), 0, Column.Overflow.WRAP));
    table.setAdjustLineBreaksForWideCJKCharacters(usage.adjustLineBreaksForWideCJKCharacters());
    table.indentWrappedLines = indent;
    Text padding = Ansi.OFF.new Text("X".repeat(headingLength), colorScheme());
    table.addRowValues(padding.concat(colorScheme().commandText(commandName)).concat(details));
    return table.toString().substring(headingLength); // the heading is printed before
  }

  /** Picocli's command list (name, first line of the description), wrapped at spaces only. */
  @Override
  public String commandList(Map<String, Help> subcommands) {
    if (subcommands.isEmpty()) {
      return "";
    }
    int width = usage().width();
    int longest = subcommands.keySet().stream().mapToInt(String::length).max().orElse(0);
    int nameWidth = Math.min(longest, width / 2);
    WholeWordTable table =
        new WholeWordTable(
            colorScheme(),
            new Column(nameWidth + 2, 2, Column.Overflow.SPAN),
            new Column(width - (nameWidth + 2), 2, Column.Overflow.WRAP));
    table.setAdjustLineBreaksForWideCJKCharacters(usage().adjustLineBreaksForWideCJKCharacters());
    for (Help help : subcommands.values()) {
      UsageMessageSpec usage = help.commandSpec().usageMessage();
      String[] header = usage.header();
      String[] description = usage.description();
      String first = header.length > 0 ? header[0] : (description.length > 0 ? description[0] : "");
      Text[] lines = colorScheme().text(format(first)).splitLines();
      for (int i = 0; i < lines.length; i++) {
        table.addRowValues(i == 0 ? help.commandNamesText(", ") : colorScheme().text(""), lines[i]);
      }
    }
    return table.toString();
  }

  private UsageMessageSpec usage() {
    return commandSpec().usageMessage();
  }

  /** Picocli's {@code Help.join}: one full-width column, wrapped lines not indented. */
  private String join(String[] lines, Object... params) {
    if (lines == null || lines.length == 0) {
      return "";
    }
    WholeWordTable table =
        new WholeWordTable(colorScheme(), new Column(usage().width(), 0, Column.Overflow.WRAP));
    table.setAdjustLineBreaksForWideCJKCharacters(usage().adjustLineBreaksForWideCJKCharacters());
    table.indentWrappedLines = 0;
    for (String line : lines) {
      table.addRowValues(format(line, params));
    }
    return table.toString();
  }

  /** Picocli's formatting of help strings ({@code %n} and the like; a bad format kept as is). */
  private static String format(String s, Object... params) {
    try {
      return s == null ? "" : String.format(s, params);
    } catch (IllegalFormatException e) {
      return s;
    }
  }

  /**
   * A text table that hides ASCII punctuation from the line breaker: each value put into it has its
   * punctuation replaced by private-use characters (one-to-one, same width), which the breaker
   * treats as letters, and the rendered table maps them back. Styled values (ANSI colours on) are
   * left to picocli's own wrapping.
   */
  static final class WholeWordTable extends TextTable {
    private static final char SHIFT = '\uE000';
    private final ColorScheme scheme;

    WholeWordTable(ColorScheme scheme, Column... columns) {
      super(scheme, columns);
      this.scheme = scheme;
    }

    static WholeWordTable like(TextTable table, ColorScheme scheme) {
      WholeWordTable t = new WholeWordTable(scheme, table.columns());
      t.indentWrappedLines = table.indentWrappedLines;
      t.setAdjustLineBreaksForWideCJKCharacters(table.isAdjustLineBreaksForWideCJKCharacters());
      return t;
    }

    @Override
    public Cell putValue(int row, int col, Text value) {
      if (value == null) {
        return super.putValue(row, col, null);
      }
      String plain = value.plainString();
      String hidden = hide(plain);
      if (hidden.equals(plain) || !value.toString().equals(plain)) {
        return super.putValue(row, col, value);
      }
      return super.putValue(row, col, scheme.ansi().new Text(hidden, scheme));
    }

    @Override
    public StringBuilder toString(StringBuilder text) {
      return text.append(show(super.toString(new StringBuilder()).toString()));
    }

    /** ASCII punctuation but {@code -} (which picocli protects itself) to private-use chars. */
    static String hide(String s) {
      char[] c = s.toCharArray();
      for (int i = 0; i < c.length; i++) {
        if (c[i] > ' ' && c[i] < 0x7f && c[i] != '-' && !Character.isLetterOrDigit(c[i])) {
          c[i] = (char) (SHIFT + c[i]);
        }
      }
      return new String(c);
    }

    /** The inverse of {@link #hide}. */
    static String show(String s) {
      char[] c = s.toCharArray();
      for (int i = 0; i < c.length; i++) {
        if (c[i] > SHIFT + ' ' && c[i] < SHIFT + 0x7f) {
          c[i] = (char) (c[i] - SHIFT);
        }
      }
      return new String(c);
    }
  }
}

package rlhf4j.policy.chat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A HuggingFace chat template ({@code tokenizer_config.json}'s {@code chat_template}, Jinja)
 * rendered with Jinjava configured as transformers configures Jinja2 (chat_template_utils.py {@code
 * _cached_compile_jinja_template}): {@code trim_blocks} and {@code lstrip_blocks}, {@code
 * raise_exception(msg)} failing the render, {@code tojson} as {@code json.dumps(x,
 * ensure_ascii=False, indent=...)}, {@code strftime_now(fmt)} as {@code
 * datetime.now().strftime(fmt)}, and Python's {@code str} methods ({@link PyStringMethods}). The
 * context is that of {@code render_jinja_template}: {@code messages}, {@code tools}, {@code
 * documents}, {@code add_generation_prompt}, the special tokens, then any extra variables.
 *
 * <p>Messages are maps as in transformers ({@code role}, {@code content}, optionally {@code
 * tool_calls}, {@code reasoning_content}); {@link #message} builds a plain one.
 */
public final class ChatTemplate {
  private final String source;
  private final String prepared; // what Jinjava renders
  private final Map<String, String> specialTokens;
  private final Jinjava jinjava;

  private ChatTemplate(String source, Map<String, String> specialTokens) {
    this.source = Objects.requireNonNull(source, "chat template source");
    this.prepared = prepare(source);
    this.specialTokens = Map.copyOf(specialTokens);
    this.jinjava = newJinjava();
  }

  /**
   * A template from its Jinja source and the special tokens it may reference ({@code bos_token},
   * {@code eos_token}, ...).
   */
  public static ChatTemplate of(String source, Map<String, String> specialTokens) {
    return new ChatTemplate(source, specialTokens);
  }

  /**
   * The template of a model folder's {@code tokenizer_config.json} (or {@code chat_template.jinja}
   * beside it, which transformers prefers), with its special tokens.
   *
   * @throws IllegalArgumentException naming the file when it has no chat template
   */
  public static ChatTemplate fromModelDir(Path dir) {
    Path config = dir.resolve("tokenizer_config.json");
    try {
      JsonObject json =
          Files.isRegularFile(config)
              ? JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8))
                  .getAsJsonObject()
              : new JsonObject();
      Map<String, String> tokens = new HashMap<>();
      for (String name :
          List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token")) {
        String t = tokenText(json.get(name));
        if (t != null) {
          tokens.put(name, t);
        }
      }
      Path jinja = dir.resolve("chat_template.jinja");
      if (Files.isRegularFile(jinja)) {
        return of(Files.readString(jinja, StandardCharsets.UTF_8), tokens);
      }
      String source = templateText(json.get("chat_template"));
      if (source == null) {
        throw new IllegalArgumentException(
            config
                + " has no chat_template (and there is no chat_template.jinja): use an instruct"
                + " model's folder, or pass prompts as plain text");
      }
      return of(source, tokens);
    } catch (IOException e) {
      throw new IllegalArgumentException(config + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static String tokenText(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (e.isJsonObject()) {
      JsonElement c = e.getAsJsonObject().get("content");
      return c == null ? null : c.getAsString();
    }
    return e.getAsString();
  }

  /** A string, or the "default" entry of a list of named templates. */
  private static String templateText(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (e.isJsonArray()) {
      for (JsonElement t : e.getAsJsonArray()) {
        JsonObject o = t.getAsJsonObject();
        if ("default".equals(o.get("name").getAsString())) {
          return o.get("template").getAsString();
        }
      }
      return null;
    }
    return e.getAsString();
  }

  /** A message map {@code {role, content}}. */
  public static Map<String, Object> message(String role, String content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }

  /** The Jinja source. */
  public String source() {
    return source;
  }

  /** The special tokens the template sees, by variable name. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /** Renders {@code messages}, as {@code apply_chat_template(messages, tokenize=False, ...)}. */
  public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
    return render(messages, null, addGenerationPrompt, Map.of());
  }

  /**
   * Renders with tools (JSON-schema maps, or null) and extra template variables (e.g. {@code
   * enable_thinking}, {@code date_string}).
   *
   * @throws IllegalArgumentException with the template's message when it calls {@code
   *     raise_exception}, or naming the error when the template cannot be rendered
   */
  public String render(
      List<? extends Map<String, ?>> messages,
      List<? extends Map<String, ?>> tools,
      boolean addGenerationPrompt,
      Map<String, ?> extra) {
    Map<String, Object> ctx = new HashMap<>(specialTokens);
    ctx.put("messages", messages);
    ctx.put("tools", tools);
    ctx.put("documents", null);
    ctx.put("add_generation_prompt", addGenerationPrompt);
    ctx.putAll(extra);
    RenderResult r = jinjava.renderForResult(prepared, ctx);
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() != TemplateError.ErrorType.FATAL) {
        continue;
      }
      Throwable cause = e.getException();
      while (cause != null && !(cause instanceof RaisedException)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        throw new IllegalArgumentException(cause.getMessage());
      }
      throw new IllegalArgumentException(
          "chat template failed at line " + e.getLineno() + ": " + e.getMessage());
    }
    return r.getOutput();
  }

  // ------------------------------------------------------------------ environment

  /** {@code <name or attribute chain>[::-1]} ending a for-loop header: Jinjava has no slices. */
  private static final Pattern REVERSED_LOOP =
      Pattern.compile("(\\bin\\s+[A-Za-z_][\\w.]*)\\[::-1\\](\\s*-?%\\})");

  /** A keyword argument whose value applies a filter: {@code f(k=xs|length - 1)}. */
  private static final Pattern FILTERED_KWARG =
      Pattern.compile(
          "(?<=[(,])(\\s*[A-Za-z_]\\w*\\s*=\\s*)([^,()=%}\\n]*\\|[^,()%}\\n]*?)(?=\\s*[,)])");

  /**
   * The source as Jinjava must see it to render what Jinja2 renders: one trailing newline dropped
   * (Jinja2's default {@code keep_trailing_newline=False}); {@code for x in xs[::-1]} written
   * {@code for x in xs|reverse} (Jinjava parses no slice steps; Qwen3's template reverses its
   * messages so; other slice steps are rejected rather than mis-rendered); and a keyword argument
   * whose value uses a filter put in parentheses, {@code namespace(k=(xs|length - 1))} (Jinjava
   * would apply the {@code - 1} to the named parameter itself; Jinja2 reads {@code (xs|length) -
   * 1}, which the parentheses keep).
   */
  static String prepare(String source) {
    String s = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
    s = REVERSED_LOOP.matcher(s).replaceAll("$1|reverse$2");
    s = FILTERED_KWARG.matcher(s).replaceAll("$1($2)");
    if (s.contains("[::")) {
      throw new IllegalArgumentException(
          "chat template uses a slice step ('[::') outside 'for x in xs[::-1]', which the Jinja"
              + " engine cannot render");
    }
    return s;
  }

  private static Jinjava newJinjava() {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PyStringMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .withFailOnUnknownTokens(false)
            .withElResolver(resolver)
            // Jinja2's {{- -}} trims around expressions too; the other overrides stay off (with
            // whitespaceRequiredWithinTokens, "{%-" would not parse)
            .withLegacyOverrides(
                LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true).build())
            .build();
    Jinjava j = new Jinjava(config);
    j.registerFilter(new ToJson());
    j.registerExpTest(new IsIterable());
    j.registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    j.registerFunction(
        new ELFunctionDefinition(
            "", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
    return j;
  }

  /** What {@code raise_exception(message)} throws: the template rejects its input. */
  static final class RaisedException extends RuntimeException {
    RaisedException(String message) {
      super(message);
    }
  }

  /** transformers' {@code raise_exception}: fails the render with the template's message. */
  public static String raiseException(String message) {
    throw new RaisedException(message);
  }

  /** transformers' {@code strftime_now}: {@code datetime.now().strftime(format)}. */
  public static String strftimeNow(String format) {
    return Strftime.format(LocalDateTime.now(), format);
  }

  /** Jinja2's {@code iterable} test: strings and mappings are iterable too. */
  private static final class IsIterable implements ExpTest {
    @Override
    public String getName() {
      return "iterable";
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
      return var instanceof Iterable
          || var instanceof Map
          || var instanceof CharSequence
          || (var != null && var.getClass().isArray());
    }
  }

  /** transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
  private static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
      return PyJson.dumps(var, indent);
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.get("indent");
      if (indent == null && args.length > 0) {
        indent = args[0];
      }
      return PyJson.dumps(var, indent == null ? null : ((Number) toNumber(indent)).intValue());
    }

    private static Object toNumber(Object o) {
      return o instanceof Number ? o : Long.valueOf(o.toString());
    }
  }

  /**
   * Parsed JSON (a message list, tools) as the maps, lists, strings, numbers and booleans a
   * template expects.
   */
  public static Object fromJson(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (e.isJsonObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> f : e.getAsJsonObject().entrySet()) {
        m.put(f.getKey(), fromJson(f.getValue()));
      }
      return m;
    }
    if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      List<Object> l = new ArrayList<>(a.size());
      for (JsonElement x : a) {
        l.add(fromJson(x));
      }
      return l;
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      String s = p.getAsString();
      return s.contains(".") || s.contains("e") || s.contains("E")
          ? (Object) p.getAsDouble()
          : (Object) p.getAsLong();
    }
    return p.getAsString();
  }
}

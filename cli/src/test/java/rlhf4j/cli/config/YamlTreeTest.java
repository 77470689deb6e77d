package rlhf4j.cli.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** YAML config files read safely into Gson trees with YAML 1.2's core scalars. */
class YamlTreeTest {
  @TempDir Path dir;

  private static JsonObject yaml(String text) {
    return YamlTree.parse(text, "c.yaml").getAsJsonObject();
  }

  private static IllegalArgumentException refused(String text) {
    return assertThrows(IllegalArgumentException.class, () -> YamlTree.parse(text, "c.yaml"));
  }

  @Test
  void numbersKeepTheirKindSoIntegersAndFloatsDiffer() {
    JsonObject o = yaml("a: 2\nb: 2.0\nc: 3000000000\nd: 99999999999999999999\ne: 1e-5\nf: 0x1F\n");
    assertInstanceOf(Integer.class, o.get("a").getAsNumber());
    assertInstanceOf(Double.class, o.get("b").getAsNumber());
    assertEquals(3_000_000_000L, o.get("c").getAsNumber());
    assertEquals(new BigInteger("99999999999999999999"), o.get("d").getAsNumber());
    assertEquals(1e-5, o.get("e").getAsNumber());
    assertEquals(31, o.get("f").getAsNumber());
  }

  @Test
  void nanAndInfinityAreValidYaml() {
    JsonObject o = yaml("a: .nan\nb: .inf\nc: -.Inf\nd: '.nan'\n");
    assertTrue(Double.isNaN(o.get("a").getAsDouble()));
    assertEquals(Double.POSITIVE_INFINITY, o.get("b").getAsDouble());
    assertEquals(Double.NEGATIVE_INFINITY, o.get("c").getAsDouble());
    assertEquals(".nan", o.get("d").getAsString()); // quoted: a string
  }

  @Test
  void onlyTrueAndFalseAreBooleansAndYaml11ScalarsStayStrings() {
    JsonObject o =
        yaml(
            "a: yes\nb: off\nc: True\nd: 010\ne: 1:30\nf: 2024-01-05\ng: !!timestamp 2024-01-05\n");
    for (String key : List.of("a", "b", "d", "e", "f", "g")) {
      assertTrue(o.get(key).getAsJsonPrimitive().isString(), key + " = " + o.get(key));
    }
    assertEquals("010", o.get("d").getAsString());
    assertEquals("1:30", o.get("e").getAsString());
    assertEquals("2024-01-05", o.get("g").getAsString());
    assertTrue(o.get("c").getAsBoolean());
  }

  @Test
  void duplicateKeysAreRefusedNamingTheKeyAndTheLine() {
    IllegalArgumentException e = refused("model:\n  preset: nano\nmodel:\n  preset: tiny\n");
    assertEquals("c.yaml:3: duplicate key 'model': give each key once", e.getMessage());
    e = refused("trainer:\n  max_steps: 1\n  seed: 2\n  max_steps: 3\n");
    assertEquals("c.yaml:4: duplicate key 'max_steps': give each key once", e.getMessage());
    // keys that differ only in their YAML type still name one setting
    e = refused("1: a\n'1': b\n");
    assertTrue(e.getMessage().contains("duplicate key '1'"), e.getMessage());
  }

  @Test
  void syntaxErrorsNameTheFileAndLine() {
    IllegalArgumentException e = refused("trainer:\n  max_steps: 1\n  seed: 2: 3\n");
    assertTrue(e.getMessage().startsWith("c.yaml:3: not valid YAML: "), e.getMessage());
    assertTrue(e.getMessage().contains("mapping values are not allowed here"), e.getMessage());
  }

  @Test
  void emptyDocumentsAreNull() throws IOException {
    assertTrue(YamlTree.parse("", "c.yaml").isJsonNull());
    assertTrue(YamlTree.parse("# only a comment\n", "c.yaml").isJsonNull());
    Path f = Files.writeString(dir.resolve("c.yaml"), "\uFEFFa: 1\n"); // a byte-order mark
    assertEquals(1, YamlTree.read(f).getAsJsonObject().get("a").getAsInt());
  }

  @Test
  void noJavaClassIsEverConstructedFromATag() {
    for (String text :
        List.of(
            "a: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL"
                + " [\"http://localhost/\"]]]]\n",
            "a: !!java.io.File /etc/passwd\n",
            "a: !custom x\n")) {
      IllegalArgumentException e = refused(text);
      assertTrue(e.getMessage().startsWith("c.yaml"), e.getMessage());
      assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
    }
  }

  @Test
  void sizeAliasAndDepthLimitsHold() {
    String big = "a: '" + "x".repeat(YamlTree.MAX_CODE_POINTS) + "'\n";
    IllegalArgumentException e = refused(big);
    assertTrue(e.getMessage().contains("too long for a config file"), e.getMessage());

    StringBuilder bomb = new StringBuilder("l0: &l0 [x, x]\n");
    for (int i = 1; i <= 12; i++) {
      bomb.append("l").append(i).append(": &l").append(i);
      bomb.append(" [*l").append(i - 1).append(", *l").append(i - 1).append("]\n");
    }
    e = refused(bomb.toString());
    assertTrue(e.getMessage().startsWith("c.yaml"), e.getMessage());

    e = refused("a: &a [1, *a]\n");
    assertTrue(e.getMessage().contains("an alias refers to itself"), e.getMessage());
  }

  @Test
  void aFewAnchorsAndMergeKeysStillWork() {
    JsonElement o = yaml("base: &b {x: 1}\nmore:\n  <<: *b\n  y: 2\n").get("more");
    assertEquals(1, o.getAsJsonObject().get("x").getAsInt());
    assertEquals(2, o.getAsJsonObject().get("y").getAsInt());
  }
}

package rlhf4j.cli.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.optim.LrScheduleType;
import rlhf4j.policy.sft.SftConfig;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.math.KlPenalty;

class ConfigBinderTest {
  private static final Map<String, String> SFT_ALIASES =
      Map.of("num_train_epochs", "epochs", "per_device_train_batch_size", "batchSize");

  @TempDir Path dir;

  private static JsonElement yaml(String text) {
    return YamlTree.parse(text, "test");
  }

  private ConfigSection section(String text, Map<String, String> keys) throws IOException {
    Path f = dir.resolve("c.yaml");
    Files.writeString(f, "trainer:\n" + text);
    return ConfigFile.read(f, List.of("trainer"), "x").section("trainer", keys.keySet());
  }

  @Test
  void keysAreSnakeCaseSettersInRecordOrderWithAliases() {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    assertEquals(
        List.of("learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size"),
        List.copyOf(keys.keySet()).subList(0, 4));
    assertEquals("batchSize", keys.get("per_device_train_batch_size"));
    assertTrue(!keys.containsKey("batch_size") && !keys.containsKey("epochs"));
  }

  @Test
  void bindsNumbersEnumsBooleansListsAndOptionals() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    ConfigSection s =
        section(
            "  learning_rate: 1.0e-3\n  num_train_epochs: 2\n  scheduler: Cosine\n  packing: true\n"
                + "  max_steps: 5\n",
            keys);
    SftConfig c = s.build(s.bind(SftConfig.builder(), keys)::build);
    assertEquals(1e-3, c.learningRate());
    assertEquals(2, c.epochs());
    assertEquals(LrScheduleType.COSINE, c.scheduler());
    assertTrue(c.packing());
    assertEquals(5, c.maxSteps());

    LoraConfig.Builder lora = LoraConfig.builder();
    ConfigBinder.set(lora, "targetModules", yaml("[c_attn, c_proj]"));
    assertEquals(List.of("c_attn", "c_proj"), lora.build().targetModules());

    PpoConfig.Builder ppo = PpoConfig.builder();
    ConfigBinder.set(ppo, "maxGradNorm", yaml("null"));
    ConfigBinder.set(ppo, "klPenalty", yaml("abs"));
    ConfigBinder.set(ppo, "scoreClip", yaml("2.5"));
    PpoConfig p = ppo.build();
    assertEquals(OptionalDouble.empty(), p.maxGradNorm());
    assertEquals(KlPenalty.ABS, p.klPenalty());
    assertEquals(OptionalDouble.of(2.5), p.scoreClip());
  }

  @Test
  void refusesNonIntegersOutOfRangeNumbersAndUnknownEnumValues() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> section("  num_train_epochs: 2.5\n", keys).bind(SftConfig.builder(), keys));
    assertTrue(e.getMessage().contains("trainer.num_train_epochs must be an integer, got 2.5"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                section("  num_train_epochs: 3000000000\n", keys).bind(SftConfig.builder(), keys));
    assertTrue(e.getMessage().contains("must be an integer in [-2147483648, 2147483647]"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                section("  max_steps: 99999999999999999999\n", keys)
                    .bind(SftConfig.builder(), keys));
    assertTrue(e.getMessage().contains("trainer.max_steps must be an integer in"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> section("  scheduler: cosin\n", keys).bind(SftConfig.builder(), keys));
    assertTrue(
        e.getMessage().contains("must be one of constant, linear, cosine, got 'cosin'"),
        e.getMessage());
  }

  @Test
  void libraryValidationIsReportedUnderTheYamlKeys() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    ConfigSection s = section("  per_device_train_batch_size: 0\n", keys);
    SftConfig.Builder b = s.bind(SftConfig.builder(), keys);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> s.build(b::build));
    assertTrue(
        e.getMessage().endsWith("c.yaml: trainer.per_device_train_batch_size must be >= 1, got 0"),
        e.getMessage());
  }

  @Test
  void unknownKeysNameTheClosestValidOne() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> section("  learnig_rate: 1\n", keys));
    assertTrue(
        e.getMessage()
            .contains("unknown key 'trainer.learnig_rate'; did you mean `learning_rate`?"),
        e.getMessage());
    assertTrue(e.getMessage().contains("valid keys in trainer: learning_rate, num_train_epochs"));
    assertEquals("per_device_train_batch_size", KeyNames.suggest("batch_size", keys.keySet()));
    assertEquals(null, KeyNames.suggest("completely_else", keys.keySet()));
  }

  @Test
  void nonIntegersInIntegerFieldsAreRefused() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    Map<String, String> shown =
        Map.of("2.7", "2.7", "2.0", "2.0", "'2'", "'2'", "010", "'010'", "1:30", "'1:30'");
    for (String value : shown.keySet()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> section("  max_steps: " + value + "\n", keys).bind(SftConfig.builder(), keys));
      assertTrue(
          e.getMessage().contains("c.yaml: trainer.max_steps must be an integer, got"),
          e.getMessage());
      assertTrue(e.getMessage().endsWith("got " + shown.get(value)), e.getMessage());
    }
  }

  @Test
  void nanIsRefusedNamingTheField() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> section("  learning_rate: .nan\n", keys).bind(SftConfig.builder(), keys));
    assertTrue(
        e.getMessage()
            .endsWith(
                "c.yaml: trainer.learning_rate must be a finite number; .nan is valid YAML but not"
                    + " a usable setting here"),
        e.getMessage());
  }

  @Test
  void infinityGoesToTheLibrarysValidationWhichNamesTheField() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    ConfigSection s = section("  learning_rate: -.inf\n", keys);
    SftConfig.Builder b = s.bind(SftConfig.builder(), keys);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> s.build(b::build));
    assertTrue(
        e.getMessage()
            .endsWith(
                "c.yaml: trainer.learning_rate must be finite and > 0, got -Infinity (-.inf is"
                    + " valid YAML but not a usable setting here)"),
        e.getMessage());
  }

  @Test
  void yaml11BooleansAreNotBooleans() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> section("  packing: yes\n", keys).bind(SftConfig.builder(), keys));
    assertTrue(
        e.getMessage().endsWith("trainer.packing must be true or false, got 'yes'"),
        e.getMessage());
  }

  @Test
  void emptyAndCommentOnlyFilesSayWhatIsExpected() throws IOException {
    for (String text : List.of("", "# nothing yet\n", "---\n")) {
      Path f = Files.writeString(dir.resolve("empty.yaml"), text);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> ConfigFile.read(f, List.of("model", "trainer"), "cli/configs/sft.yaml"));
      assertEquals(
          f
              + " is empty (or only comments): expected a mapping of sections [model, trainer];"
              + " see cli/configs/sft.yaml",
          e.getMessage());
    }
  }

  @Test
  void duplicateKeysInASectionNameTheKeyAndTheLine() throws IOException {
    Map<String, String> keys = ConfigBinder.keys(SftConfig.Builder.class, SFT_ALIASES);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> section("  max_steps: 5\n  max_steps: 6\n", keys));
    assertEquals(
        dir.resolve("c.yaml") + ":3: duplicate key 'max_steps': give each key once",
        e.getMessage());
  }
}

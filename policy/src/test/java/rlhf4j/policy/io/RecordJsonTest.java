package rlhf4j.policy.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordJsonTest {
  @TempDir Path dir;

  enum Mode {
    FAST,
    SLOW
  }

  record Inner(double mean, long count) {}

  record Settings(
      double rate,
      int batch,
      long seed,
      boolean flag,
      Mode mode,
      OptionalDouble clip,
      OptionalDouble none,
      String name,
      Inner inner,
      Inner missing) {
    Settings {
      if (batch < 1) {
        throw new IllegalArgumentException("batch must be >= 1, got " + batch);
      }
    }
  }

  static final Settings SETTINGS =
      new Settings(
          1.41e-5,
          8,
          -3,
          true,
          Mode.SLOW,
          OptionalDouble.of(0.5),
          OptionalDouble.empty(),
          "run \"a\" <b>",
          new Inner(0.25, 7),
          null);

  @Test
  void aRecordRoundTripsThroughItsJsonText() throws IOException {
    Path file = dir.resolve("settings.json");
    Files.writeString(file, RecordJson.format(RecordJson.toJson(SETTINGS)));
    JsonObject read = RecordJson.readObject(file, "write it first");
    assertEquals(SETTINGS, RecordJson.fromJson(Settings.class, read, file));
    assertEquals("SLOW", read.get("mode").getAsString());
    assertTrue(read.get("none").isJsonNull());
    assertTrue(Files.readString(file).contains("<b>"), "no HTML escaping");
  }

  @Test
  void aMissingOrMistypedFieldIsNamedWithTheFile() {
    Path file = dir.resolve("s.json");
    JsonObject j = RecordJson.toJson(SETTINGS);
    j.remove("seed");
    CheckpointException missing =
        assertThrows(CheckpointException.class, () -> RecordJson.fromJson(Settings.class, j, file));
    assertTrue(missing.getMessage().contains(file + ": has no 'seed'"), missing.getMessage());

    JsonObject wrong = RecordJson.toJson(SETTINGS);
    wrong.addProperty("flag", 1);
    CheckpointException mistyped =
        assertThrows(
            CheckpointException.class, () -> RecordJson.fromJson(Settings.class, wrong, file));
    assertTrue(
        mistyped.getMessage().contains("'flag' = 1 is not a boolean"), mistyped.getMessage());
  }

  @Test
  void theRecordsOwnValidationSpeaks() {
    Path file = dir.resolve("s.json");
    JsonObject j = RecordJson.toJson(SETTINGS);
    j.addProperty("batch", 0);
    CheckpointException e =
        assertThrows(CheckpointException.class, () -> RecordJson.fromJson(Settings.class, j, file));
    assertTrue(e.getMessage().contains("batch must be >= 1, got 0"), e.getMessage());
  }

  @Test
  void differencesNameTheChangedComponents() {
    Inner a = new Inner(0.25, 7);
    assertEquals(List.of(), RecordJson.differences(a, new Inner(0.25, 7)));
    assertEquals(List.of("count 7 -> 8"), RecordJson.differences(a, new Inner(0.25, 8)));
  }

  @Test
  void readObjectNamesAMissingOrMalformedFile() throws IOException {
    Path file = dir.resolve("absent.json");
    CheckpointException missing =
        assertThrows(CheckpointException.class, () -> RecordJson.readObject(file, "save first"));
    assertTrue(missing.getMessage().contains("is missing; save first"), missing.getMessage());
    Files.writeString(file, "[1, 2]");
    CheckpointException notObject =
        assertThrows(CheckpointException.class, () -> RecordJson.readObject(file, "save first"));
    assertTrue(notObject.getMessage().contains("not a JSON object"), notObject.getMessage());
    assertEquals(JsonParser.parseString("{\"a\":1}"), RecordJson.toJson(new Single(1)));
  }

  record Single(int a) {}
}

package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceDataTest {
  @TempDir Path dir;

  private Path write(String... lines) throws IOException {
    Path f = dir.resolve("prefs.jsonl");
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  @Test
  void readsPairsWithOptionalPromptMarginAndExtraFields() throws IOException {
    Path f =
        write(
            "{\"prompt\": \"Q\", \"chosen\": \" yes\", \"rejected\": \" no\", \"margin\": 1.5}",
            "",
            "{\"chosen\": \"a\", \"rejected\": \"b\", \"id\": 7}");
    List<PreferencePair> pairs = PreferenceData.read(f);
    assertEquals(
        List.of(new PreferencePair("Q", " yes", " no", 1.5), PreferencePair.of("", "a", "b")),
        pairs);
  }

  private PreferenceDataException fails(String... lines) throws IOException {
    Path f = write(lines);
    return assertThrows(PreferenceDataException.class, () -> PreferenceData.read(f));
  }

  @Test
  void aMissingFieldNamesTheFileLineAndField() throws IOException {
    PreferenceDataException e =
        fails(
            "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}",
            "",
            "{\"prompt\": \"p\", \"rejected\": \"b\"}");
    assertEquals(3, e.line());
    assertEquals("chosen", e.field());
    assertTrue(
        e.getMessage().startsWith(dir.resolve("prefs.jsonl") + ":3: field 'chosen' is missing"),
        e.getMessage());
  }

  @Test
  void aWrongTypeNamesTheFileLineAndField() throws IOException {
    PreferenceDataException e = fails("{\"chosen\": \"a\", \"rejected\": 3}");
    assertTrue(e.getMessage().contains("prefs.jsonl:1: field 'rejected' must be a string, got 3"));
    e = fails("{\"chosen\": \"a\", \"rejected\": \"b\", \"margin\": \"big\"}");
    assertTrue(
        e.getMessage().contains("prefs.jsonl:1: field 'margin' must be a number"), e.getMessage());
  }

  @Test
  void invalidJsonNamesTheLine() throws IOException {
    PreferenceDataException e =
        fails("{\"chosen\": \"a\", \"rejected\": \"b\"}", "{\"chosen\": \"a\", rejected: b}");
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("prefs.jsonl:2: is not valid JSON"), e.getMessage());
    e = fails("[\"chosen\", \"rejected\"]");
    assertTrue(e.getMessage().contains("prefs.jsonl:1: is not a JSON object"), e.getMessage());
    e = fails("{\"chosen\": \"a\", \"rejected\": \"b\"} {}");
    assertTrue(e.getMessage().contains("prefs.jsonl:1: is not valid JSON"), e.getMessage());
  }

  @Test
  void anEmptyOrMissingFileIsNamed() throws IOException {
    PreferenceDataException e = fails("", "  ");
    assertTrue(e.getMessage().contains("holds no preference pairs"), e.getMessage());
    Path missing = dir.resolve("nope.jsonl");
    e = assertThrows(PreferenceDataException.class, () -> PreferenceData.read(missing));
    assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
  }

  @Test
  void tokenizeDropsPairsLongerThanTheLimit() {
    List<PreferencePair> pairs =
        List.of(
            new PreferencePair("a b", "c", "d e", 0.5),
            PreferencePair.of("a", "b c d e", "f"),
            PreferencePair.of("", "x", "y"));
    // one token per character, ignoring spaces
    PreferenceData.Tokenized t =
        PreferenceData.tokenize(
            pairs, (p, c) -> (p + c).replace(" ", "").chars().mapToLong(ch -> ch).toArray(), 4);
    assertEquals(1, t.droppedTooLong());
    assertEquals(2, t.pairs().size());
    assertArrayEquals(new long[] {'a', 'b', 'c'}, t.pairs().get(0).chosenIds());
    assertArrayEquals(new long[] {'a', 'b', 'd', 'e'}, t.pairs().get(0).rejectedIds());
    assertEquals(0.5f, t.pairs().get(0).margin());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PreferenceData.tokenize(
                List.of(PreferencePair.of("", "", "y")), (p, c) -> new long[0], 4));
  }

  @Test
  void splitIsSeededDisjointAndKeepsTheRequestedFraction() {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      items.add(i);
    }
    PreferenceData.Split<Integer> a = PreferenceData.split(items, 0.2, 1);
    PreferenceData.Split<Integer> b = PreferenceData.split(items, 0.2, 1);
    assertEquals(a, b);
    assertEquals(10, a.eval().size());
    assertEquals(40, a.train().size());
    HashSet<Integer> all = new HashSet<>(a.train());
    all.addAll(a.eval());
    assertEquals(50, all.size());
    assertEquals(1, PreferenceData.split(items.subList(0, 3), 0.01, 1).eval().size());
    assertEquals(0, PreferenceData.split(items, 0, 1).eval().size());
    assertThrows(IllegalArgumentException.class, () -> PreferenceData.split(items, 1.0, 1));
  }
}

package org.medrec.fhirvalidator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * The HL7 FHIR R4 instance validator (HAPI FHIR's FhirInstanceValidator over the HL7 reference validator),
 * offline, for many resources per JVM start.
 *
 * <p>Input: newline-delimited JSON on stdin, or the files named as arguments (a directory: its *.json and
 * *.ndjson files). Each line (or .json file) is a FHIR resource or Bundle, or an envelope
 * {"id": "any label", "resource": {...}}. Output: one JSON line per input, in input order, on stdout:
 * {"id", "resourceType", "errors", "warnings", "issues": [{"severity", "location", "line", "column",
 * "messageId", "message"}]}. Information-level messages are counted, and listed only with the option
 * --information (which, like every option, comes before any file argument). A line that is not
 * JSON gives a result with one "fatal" issue; the tool goes on with the next line.
 *
 * <p>Offline: the R4 core definitions and terminology come from hapi-fhir-validation-resources-r4 on the
 * class path; no remote terminology service is configured; and every proxy lookup is refused, so an HTTP
 * client that tried to reach out would fail instead of silently downloading (the Node wrapper also runs
 * the JVM in an empty network namespace where it can).
 */
public final class Main {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static boolean listInformation;

  private Main() {}

  public static void main(String[] args) throws IOException {
    // Results own stdout; anything a library prints goes to stderr instead of corrupting the protocol.
    PrintStream results = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    System.setOut(System.err);
    refuseNetwork();

    FhirValidator validator = newValidator();
    List<String> inputs = new java.util.ArrayList<>(List.of(args));
    listInformation = inputs.remove("--information");
    if (inputs.isEmpty()) {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        readLines(in, "stdin", validator, results);
      }
    } else {
      for (String arg : inputs) {
        for (Path file : files(Path.of(arg))) {
          if (file.toString().endsWith(".ndjson")) {
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
              readLines(in, file.toString(), validator, results);
            }
          } else {
            emit(results, validate(validator, Files.readString(file, StandardCharsets.UTF_8), file.toString()));
          }
        }
      }
    }
    results.flush();
  }

  static FhirValidator newValidator() {
    FhirContext ctx = FhirContext.forR4Cached();
    ValidationSupportChain support = new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx),
        new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx),
        new SnapshotGeneratingValidationSupport(ctx));
    FhirInstanceValidator instanceValidator = new FhirInstanceValidator(support);
    return ctx.newValidator().registerValidatorModule(instanceValidator);
  }

  private static void refuseNetwork() {
    ProxySelector.setDefault(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        throw new IllegalStateException("fhir-validator runs offline; refused to connect to " + uri.getHost());
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
    });
  }

  private static List<Path> files(Path path) throws IOException {
    if (!Files.isDirectory(path)) return List.of(path);
    try (Stream<Path> listing = Files.list(path)) {
      return listing
          .filter(p -> p.toString().endsWith(".json") || p.toString().endsWith(".ndjson"))
          .sorted()
          .toList();
    }
  }

  private static void readLines(BufferedReader in, String source, FhirValidator validator, PrintStream out)
      throws IOException {
    String line;
    int number = 0;
    while ((line = in.readLine()) != null) {
      number++;
      if (line.isBlank()) continue;
      emit(out, validate(validator, line, source + ":" + number));
    }
  }

  private static void emit(PrintStream out, ObjectNode result) throws IOException {
    out.println(JSON.writeValueAsString(result));
    out.flush();
  }

  static ObjectNode validate(FhirValidator validator, String text, String fallbackId) {
    ObjectNode result = JSON.createObjectNode();
    ArrayNode issues = JSON.createArrayNode();
    int errors = 0;
    int warnings = 0;
    int information = 0;
    String id = fallbackId;
    String resourceType = null;
    try {
      JsonNode node = JSON.readTree(text);
      if (node != null && node.has("resource") && !node.has("resourceType")) {
        if (node.hasNonNull("id")) id = node.get("id").asText();
        node = node.get("resource");
      }
      if (node == null || !node.isObject()) throw new IllegalArgumentException("not a JSON object");
      resourceType = node.path("resourceType").asText(null);
      ValidationResult outcome = validator.validateWithResult(JSON.writeValueAsString(node));
      for (SingleValidationMessage m : outcome.getMessages()) {
        ResultSeverityEnum severity = m.getSeverity();
        if (severity == ResultSeverityEnum.ERROR || severity == ResultSeverityEnum.FATAL) errors++;
        else if (severity == ResultSeverityEnum.WARNING) warnings++;
        else {
          information++;
          if (!listInformation) continue;
        }
        ObjectNode issue = issues.addObject();
        issue.put("severity", severity.getCode());
        issue.put("location", m.getLocationString());
        if (m.getLocationLine() != null) issue.put("line", m.getLocationLine());
        if (m.getLocationCol() != null) issue.put("column", m.getLocationCol());
        issue.put("messageId", m.getMessageId());
        issue.put("message", m.getMessage());
      }
    } catch (Exception e) {
      errors++;
      ObjectNode issue = issues.addObject();
      issue.put("severity", "fatal");
      issue.put("location", "");
      issue.put("messageId", "INPUT");
      issue.put("message", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    result.put("id", id);
    result.put("resourceType", resourceType);
    result.put("errors", errors);
    result.put("warnings", warnings);
    result.put("information", information);
    result.set("issues", issues);
    return result;
  }
}

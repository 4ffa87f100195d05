package dev.softmax.udf;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.catalyst.analysis.NoSuchFunctionException;
import org.apache.spark.sql.connector.catalog.FunctionCatalog;
import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The softmax functions as a Spark function catalog. Enable it with {@code
 * spark.sql.catalog.nn=dev.softmax.udf.SoftmaxCatalog}, then {@code SELECT nn.softmax(logits)}.
 */
public final class SoftmaxCatalog implements FunctionCatalog {
  /** The catalog name the documentation and the job use. */
  public static final String DEFAULT_NAME = "nn";

  private static final Map<String, UnboundFunction> FUNCTIONS =
      Stream.of(SqlFunction.values())
          .collect(Collectors.toUnmodifiableMap(SqlFunction::sqlName, SqlFunction::function));

  private String name = DEFAULT_NAME;

  /** Spark instantiates catalogs with a public no-argument constructor. */
  public SoftmaxCatalog() {}

  @Override
  public void initialize(String catalogName, CaseInsensitiveStringMap options) {
    this.name = catalogName;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Identifier[] listFunctions(String[] namespace) {
    if (namespace.length != 0) {
      return new Identifier[0];
    }
    return FUNCTIONS.keySet().stream()
        .sorted()
        .map(f -> Identifier.of(namespace, f))
        .toArray(Identifier[]::new);
  }

  @Override
  public UnboundFunction loadFunction(Identifier ident) throws NoSuchFunctionException {
    UnboundFunction f =
        ident.namespace().length == 0 ? FUNCTIONS.get(ident.name().toLowerCase(Locale.ROOT)) : null;
    if (f == null) {
      throw new NoSuchFunctionException(ident);
    }
    return f;
  }
}

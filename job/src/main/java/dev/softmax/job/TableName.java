package dev.softmax.job;

import java.util.List;

/**
 * A table named as {@code CATALOG.NAMESPACE.TABLE} (the namespace may have several parts): the
 * catalog is a Spark catalog the session configures ({@code spark.sql.catalog.CATALOG}). Parts are
 * split at dots, without quoting.
 */
record TableName(String catalog, List<String> namespace, String table) {
  /** What a quarantine table's name adds to its output table's. */
  static final String QUARANTINE_SUFFIX = "_quarantine";

  /** Parses {@code text}, given with {@code option}; a usage error unless it has three parts. */
  static TableName parse(String option, String text) {
    List<String> parts = List.of(text.split("\\.", -1));
    if (parts.size() < 3 || parts.stream().anyMatch(String::isEmpty)) {
      throw new UsageException(
          option
              + " "
              + text
              + ": name a table as CATALOG.NAMESPACE.TABLE, e.g. lake.ml.logits (the catalog as"
              + " configured by --conf spark.sql.catalog.CATALOG=...)");
    }
    return new TableName(
        parts.get(0), parts.subList(1, parts.size() - 1), parts.get(parts.size() - 1));
  }

  /** The table beside this one that takes its quarantined rows. */
  TableName quarantine() {
    return new TableName(catalog, namespace, table + QUARANTINE_SUFFIX);
  }

  /** The name of one of Iceberg's metadata tables of this table ({@code snapshots}, ...). */
  String metadata(String kind) {
    return this + "." + kind;
  }

  /**
   * This name (or, with {@code kind}, a metadata table's) quoted for SQL, each part in backticks.
   */
  String quoted(String... kind) {
    List<String> parts = new java.util.ArrayList<>();
    parts.add(catalog);
    parts.addAll(namespace);
    parts.add(table);
    parts.addAll(List.of(kind));
    return String.join(".", parts.stream().map(p -> "`" + p.replace("`", "``") + "`").toList());
  }

  @Override
  public String toString() {
    return catalog + "." + String.join(".", namespace) + "." + table;
  }
}

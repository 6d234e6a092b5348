"""`exports/data/train-00000-of-00001.parquet`: the flat rows in the Hub's dataset layout.

The table is built column by column from Python lists with the schema's explicit Arrow types
(never inferred: an all-null column must still be float64, an empty list still list<string>).
"""

from __future__ import annotations

from tribench.export.base import ExportData, Exporter, ExportFile

DATA_DIR = "data"
FILENAME = f"{DATA_DIR}/train-00000-of-00001.parquet"


class ParquetExporter(Exporter):
    name = "parquet"
    owns = (f"{DATA_DIR}/train-*.parquet",)

    def serialize(self, data: ExportData) -> list[ExportFile]:
        import pyarrow as pa  # optional-heavy: loaded only when a Parquet file is written
        import pyarrow.parquet as pq

        from tribench.schema import arrow_schema

        schema = arrow_schema()
        columns = data.columns
        arrays = [pa.array(columns[field.name], type=field.type) for field in schema]
        table = pa.Table.from_arrays(arrays, schema=schema)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return [ExportFile(FILENAME, [sink.getvalue().to_pybytes()])]

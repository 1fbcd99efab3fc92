# df.foreach / df.foreachPartition on the workers, as pyspark's Connect client builds them: foreach is a
# row-at-a-time UDF over struct(*columns) returning an empty struct, foreachPartition a mapInArrow
# returning no batches. The command pickles functools.partial(<one of these>, <the project's function>)
# (resolved by the bundle's loader), with this file's source carried inside the pickle and exec'd on the
# worker (probe.ts definedIn), so no bundle, loader or cache entry changes for it.
# Runs on pyspark 3.5 to 4.1 workers: it uses 4.1's own Arrow-to-Row converters when there, else its own.


def foreach_row(f, row):
    """One row (a pyspark Row) to the project's function; its return value is dropped, as in pyspark."""
    f(row)


def foreach_partition(f, batches):
    """The partition's rows, as an iterator of pyspark Rows, to the project's function; yields nothing."""
    f(_rows(batches))
    return iter([])


def _rows(batches):
    from pyspark.sql.types import _create_row

    converters = None
    names = None
    for batch in batches:
        if converters is None:
            from pyspark.sql.pandas.types import from_arrow_schema

            schema = from_arrow_schema(batch.schema)
            names = schema.fieldNames()
            converters = [_converter(field.dataType) for field in schema.fields]
        columns = [column.to_pylist() for column in batch.columns]
        for i in range(batch.num_rows):
            yield _create_row(names, [convert(column[i]) for convert, column in zip(converters, columns)])


def _converter(data_type):
    try:
        from pyspark.sql.conversion import ArrowTableToRowsConversion  # pyspark 4.1+
    except ImportError:
        return _plain_converter(data_type)
    return ArrowTableToRowsConversion._create_converter(data_type, none_on_identity=False, binary_as_bytes=True)


def _plain_converter(data_type):
    """What pyarrow's to_pylist gives, made into what pyspark hands a Python function: structs as Rows,
    maps as dicts, timestamps as naive local datetimes."""
    from pyspark.sql.types import ArrayType, MapType, StructType, TimestampType, _create_row

    if isinstance(data_type, StructType):
        names = data_type.fieldNames()
        fields = [_plain_converter(field.dataType) for field in data_type.fields]
        return lambda value: None if value is None else _create_row(names, [convert(value.get(name)) for convert, name in zip(fields, names)])
    if isinstance(data_type, ArrayType):
        element = _plain_converter(data_type.elementType)
        return lambda value: None if value is None else [element(item) for item in value]
    if isinstance(data_type, MapType):
        key, val = _plain_converter(data_type.keyType), _plain_converter(data_type.valueType)
        return lambda value: None if value is None else {key(k): val(v) for k, v in value}
    if isinstance(data_type, TimestampType):
        return lambda value: value if value is None or value.tzinfo is None else value.astimezone().replace(tzinfo=None)
    return lambda value: value

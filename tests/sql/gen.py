def write_case(tmp, seed):
    raise NotImplementedError
